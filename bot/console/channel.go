package console

import "github.com/umkmbot/umkmbot/bot"

// Channel describes the terminal to the program: its id and name; it
// prints text (and files), not pictures. cmd adds who is an admin (the
// terminal, unless chat runs --as-owner) and the Console as its link.
func Channel() bot.Channel {
	return bot.Channel{ID: bot.Console, Label: "channel.console", Aliases: []string{"terminal"}}
}
