package bot

import "log/slog"

// ConvArgs are the log attributes of a line about one person's message:
// "user", the user id masked (a WhatsApp id is a phone number), and
// "msg_id", the message id (left out when msgID is ""; not "msg", which
// is where slog puts the line's text, so JSON lines would repeat a key).
// Use it on a logger that already carries the channel (an adapter's).
func ConvArgs(c Conversation, msgID string) []any {
	if msgID == "" {
		return []any{"user", MaskUser(c.User)}
	}
	return []any{"user", MaskUser(c.User), "msg_id", msgID}
}

// ConvLogger scopes log to one conversation and message: every line then
// carries "channel", the masked "user" and "msg_id" (see ConvArgs), so the
// lines of one message can be found together without logging who it was.
func ConvLogger(log *slog.Logger, c Conversation, msgID string) *slog.Logger {
	return log.With(append([]any{"channel", c.Channel}, ConvArgs(c, msgID)...)...)
}
