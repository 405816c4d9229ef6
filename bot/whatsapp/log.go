package whatsapp

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/umkmbot/umkmbot/bot"
	waLog "go.mau.fi/whatsmeow/util/log"
)

// Logger adapts slog to whatsmeow's logger. whatsmeow writes WhatsApp ids
// into its lines (a phone id is a phone number), so every long run of
// digits is masked as bot.MaskNumbers does.
func Logger(l *slog.Logger) waLog.Logger { return slogLogger{l: l} }

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(level slog.Level, msg string, args []any) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	s.l.Log(context.Background(), level, bot.MaskNumbers(fmt.Sprintf(msg, args...)))
}

func (s slogLogger) Warnf(msg string, args ...any)  { s.log(slog.LevelWarn, msg, args) }
func (s slogLogger) Errorf(msg string, args ...any) { s.log(slog.LevelError, msg, args) }
func (s slogLogger) Infof(msg string, args ...any)  { s.log(slog.LevelInfo, msg, args) }
func (s slogLogger) Debugf(msg string, args ...any) { s.log(slog.LevelDebug, msg, args) }
func (s slogLogger) Sub(module string) waLog.Logger {
	return slogLogger{l: s.l.With("module", module)}
}
