package whatsapp

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	waLog "go.mau.fi/whatsmeow/util/log"
)

// Logger adapts slog to whatsmeow's logger. whatsmeow writes WhatsApp ids
// into its lines (a phone id is a phone number), so every run of eight or
// more digits is masked to its last four.
func Logger(l *slog.Logger) waLog.Logger { return slogLogger{l: l} }

type slogLogger struct{ l *slog.Logger }

var longDigits = regexp.MustCompile(`\d{8,}`)

func maskDigits(s string) string {
	return longDigits.ReplaceAllStringFunc(s, func(d string) string { return strings.Repeat("*", 4) + d[len(d)-4:] })
}

func (s slogLogger) log(level slog.Level, msg string, args []any) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	s.l.Log(context.Background(), level, maskDigits(fmt.Sprintf(msg, args...)))
}

func (s slogLogger) Warnf(msg string, args ...any)  { s.log(slog.LevelWarn, msg, args) }
func (s slogLogger) Errorf(msg string, args ...any) { s.log(slog.LevelError, msg, args) }
func (s slogLogger) Infof(msg string, args ...any)  { s.log(slog.LevelInfo, msg, args) }
func (s slogLogger) Debugf(msg string, args ...any) { s.log(slog.LevelDebug, msg, args) }
func (s slogLogger) Sub(module string) waLog.Logger {
	return slogLogger{l: s.l.With("module", module)}
}
