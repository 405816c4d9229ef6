package whatsapp

import "github.com/umkmbot/umkmbot/bot"

// Channel describes WhatsApp to the program: its id, its name, the words
// for it, that it sends pictures, and that broadcasts go out one at a
// time (one sender per process taking one delivery at once: at a few a
// minute, a batch would wait long enough to be taken over). cmd adds its
// admins and pace from the configuration, and the Adapter as its link
// (also its bulk permission: bans and time locks).
func Channel() bot.Channel {
	return bot.Channel{ID: bot.WhatsApp, Label: "channel.whatsapp", Aliases: []string{"wa"},
		Media: bot.MediaSupport{Photos: true}, Workers: 1, Batch: 1}
}
