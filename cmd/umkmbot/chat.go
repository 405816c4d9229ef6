package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sync/errgroup"
	"golang.org/x/term"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/console"
)

func init() {
	addCommand("chat", "chat with the bot in this terminal (scriptable: one message per input line)", runChat)
}

func runChat(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("chat", env)
	user := fs.String("user", "demo", "who is chatting: each id is a separate person")
	asOwner := fs.Bool("as-owner", false, "chat as a business owner, not as an admin: the terminal is an admin (it may broadcast with siaran) unless this is given")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	cfg.Broadcast.ConsoleOwner = *asOwner
	if env.Getenv("LOG_LEVEL") == "" {
		cfg.LogLevel = slog.LevelWarn // keep the chat readable
	}
	cfg.Turn.Flood = bot.FloodLimit{} // one local person, often a script: no flood limit
	app, err := openApp(ctx, cfg, env.Stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	interactive := false
	if f, ok := env.Stdin.(*os.File); ok {
		interactive = term.IsTerminal(int(f.Fd()))
	}
	if app.Embedded != nil {
		fmt.Fprintf(env.Stderr, "umkmbot: using the embedded store in %s (for trying out and small single-process use; set REDIS_URL for production)\n", cfg.DataDir)
	}
	if err := app.writable(); err != nil {
		return err
	}
	keyNotice(env.Stderr, app.KeyMade)
	if err := checkSealed(ctx, app, env, app.Embedded != nil); err != nil {
		return err
	}
	if interactive {
		fmt.Fprintln(env.Stderr, "umkmbot: type halo to start, menu for the menu, Ctrl-D to quit.")
	}
	con := console.New(env.Stdin, env.Stdout, *user, interactive, app.Dispatcher.Idle)
	if err := app.linkChannel(bot.Console, bot.Link{Sender: con}); err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	runCtx, cancel := context.WithCancel(gctx)
	g.Go(func() error { return app.Dispatcher.Run(runCtx) })
	g.Go(func() error { return app.runStore(runCtx) })
	g.Go(func() error {
		defer cancel()
		return con.Run(runCtx, app.Dispatcher)
	})
	return g.Wait()
}

// consoleChannel describes the terminal: whoever runs `umkmbot chat` holds
// the server, so the terminal is an admin unless --as-owner; its
// broadcasts (to owners who registered in the terminal) are printed.
func consoleChannel(c Config) bot.Channel {
	ch, admin := console.Channel(), !c.Broadcast.ConsoleOwner
	ch.IsAdmin = func(string) bool { return admin }
	return ch
}
