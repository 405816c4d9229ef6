package telegram

import "github.com/umkmbot/umkmbot/bot"

// Channel describes Telegram to the program: its id, its name, the words
// for it, and that it sends pictures (the Adapter is a bot.PhotoSender).
// cmd adds what the configuration says: its admins and broadcast pace,
// and the Adapter as its link.
func Channel() bot.Channel {
	return bot.Channel{ID: bot.Telegram, Label: "channel.telegram", Aliases: []string{"tele", "tg"},
		Media: bot.MediaSupport{Photos: true}}
}
