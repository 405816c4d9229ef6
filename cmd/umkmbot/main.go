// Command umkmbot is the one binary of the UMKM chat service: chat (a
// terminal chat with the real bot), serve (the channels), export, and the
// Dinas's admin commands. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "umkmbot:", err)
		stop()
		os.Exit(exitCode(err))
	}
}

// Env is what a command gets from the outside world.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	help     bool          // the command line asks for help: usage goes to Stdout
	badUsage bool          // a flag set printed its usage for a bad command line
	flags    *flag.FlagSet // the last flag set made (for the help test)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runEnv(ctx, &Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr}, args)
}

// runEnv runs the command line args. A request for help is not an error;
// a bad command line is a usageError (exit status 2).
func runEnv(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "help" { // "umkmbot help training add"
		args = append(args[1:], "-h")
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if isHelp(a) {
			env.help = true
		}
	}
	err := root.exec(ctx, env, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	var ue *usageError
	if err != nil && env.badUsage && !errors.As(err, &ue) {
		err = &usageError{err}
	}
	return err
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "--h" }

// usageError is a bad command line: the program exits with status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// usageFor is usagef for a flag or argument value fs's command refuses: it
// prints the command's usage first.
func usageFor(fs *flag.FlagSet, format string, args ...any) error {
	fs.Usage()
	return usagef(format, args...)
}

// exitCode is the exit status for err: 2 for a bad command line, 1 for
// any other failure.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// A command is a node of the command tree: a group of subcommands, or a
// leaf that runs. A leaf parses its flags (flagSet) before it reads the
// configuration or opens anything, so `-h` prints them and exits.
type command struct {
	name    string
	args    string // what follows the name in the synopsis: "ID CODE"
	summary string
	more    string // printed after the flags in -h
	run     func(ctx context.Context, env *Env, args []string) error
	subs    []*command
	parent  *command
}

// root is the program; commands register under it in init.
var root = &command{name: "umkmbot", summary: "chat service of the Dinas Koperasi/UMKM (see README.md)"}

// addCommand registers a top-level command that parses its own arguments.
func addCommand(name, summary string, run func(ctx context.Context, env *Env, args []string) error) {
	root.add(&command{name: name, summary: summary, run: run})
}

// addGroup registers a top-level command made of subcommands.
func addGroup(name, summary string, subs ...*command) {
	root.add(&command{name: name, summary: summary, subs: subs})
}

// leaf is a subcommand that runs.
func leaf(name, args, summary string, run func(ctx context.Context, env *Env, args []string) error) *command {
	return &command{name: name, args: args, summary: summary, run: run}
}

// add registers sub under c; a duplicate name is a programming error,
// except that a command registered with addCommand (it parses its own
// arguments) and a group of the same name without a run (whose
// subcommands forward to it, for help) merge, in either order.
func (c *command) add(sub *command) *command {
	for _, s := range sub.subs {
		s.parent = sub
	}
	if i := slices.IndexFunc(c.subs, func(o *command) bool { return o.name == sub.name }); i >= 0 {
		o := c.subs[i]
		switch {
		case o.run == nil && len(sub.subs) == 0 && sub.run != nil:
			o.run = sub.run
		case sub.run == nil && len(o.subs) == 0 && o.run != nil:
			o.subs = sub.subs
			for _, s := range o.subs {
				s.parent = o
			}
		default:
			panic("umkmbot: command " + sub.name + " registered twice")
		}
		if o.summary == "" {
			o.summary = sub.summary
		}
		return o
	}
	sub.parent = c
	c.subs = append(c.subs, sub)
	slices.SortFunc(c.subs, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	return sub
}

// The whatsapp command (whatsapp.go) parses its own subcommands; they are
// declared here too, so that `whatsapp -h` lists them.
func init() {
	addGroup("whatsapp", "",
		leaf("pair", "", "link the bot's WhatsApp number as a device: a QR code, or a pairing code with --phone", nil),
		leaf("status", "", "show pairing, which process holds the connection, and bans", nil))
}

// path is the command line that leads to c: "umkmbot training add".
func (c *command) path() string {
	if c.parent == nil {
		return c.name
	}
	return c.parent.path() + " " + c.name
}

// lookup finds the node at the command path "training add" (nil if none).
func (c *command) lookup(path string) *command {
	for _, name := range strings.Fields(path) {
		i := slices.IndexFunc(c.subs, func(o *command) bool { return o.name == name })
		if i < 0 {
			return nil
		}
		c = c.subs[i]
	}
	return c
}

func (c *command) exec(ctx context.Context, env *Env, args []string) error {
	if len(c.subs) == 0 {
		if c.run == nil { // declared for another file's command: forward to it
			return c.parent.run(ctx, env, append([]string{c.name}, args...))
		}
		return c.run(ctx, env, args)
	}
	if len(args) == 0 {
		c.usage(env.Stderr)
		return usagef("%s needs a command", c.path())
	}
	if isHelp(args[0]) {
		c.usage(env.Stdout)
		return nil
	}
	if sub := c.lookup(args[0]); sub != nil {
		return sub.exec(ctx, env, args[1:])
	}
	c.usage(env.Stderr)
	return usagef("unknown command %q for %s", args[0], c.path())
}

// usage prints a group's synopsis and its subcommands.
func (c *command) usage(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s <command> [flags]\n\n%s\n\ncommands:\n", c.path(), c.summary)
	for _, s := range c.subs {
		name := s.name
		if s.args != "" {
			name += " " + s.args
		}
		fmt.Fprintf(&b, "  %-26s %s\n", name, s.summary)
	}
	fmt.Fprintf(&b, "\nRun `%s <command> -h` for the flags of a command.\n", c.path())
	if c.parent == nil {
		b.WriteString("Configuration comes from environment variables (README.md, Configuration); `umkmbot config check` prints it.\n")
	}
	io.WriteString(w, b.String())
}

// flagSet is a FlagSet that reports errors instead of exiting; its usage
// (printed for -h and for a bad flag) names the command, its arguments and
// summary from the command tree, then the flags.
func flagSet(name string, env *Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	env.flags = fs
	fs.Usage = func() {
		w := env.Stderr
		if env.help {
			w = env.Stdout
		} else {
			env.badUsage = true
		}
		fs.SetOutput(w)
		defer fs.SetOutput(env.Stderr)
		c := root.lookup(name)
		if c == nil {
			c = &command{name: name}
		}
		synopsis := "umkmbot " + name
		if c.args != "" {
			synopsis += " " + c.args
		}
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			synopsis += " [flags]"
		}
		fmt.Fprintf(w, "usage: %s\n", synopsis)
		if c.summary != "" {
			fmt.Fprintf(w, "\n%s\n", c.summary)
		}
		if hasFlags {
			fmt.Fprintf(w, "\nflags:\n")
			fs.PrintDefaults()
		} else {
			fmt.Fprintf(w, "\nno flags.\n")
		}
		if c.more != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.more))
		}
		fmt.Fprintf(w, "\nConfiguration comes from environment variables (README.md, Configuration); `umkmbot config check` prints it.\n")
	}
	return fs
}

// parseArgs parses the flags of fs wherever they stand among args
// ("edit 12 --capacity 80" as well as "edit --capacity 80 12") and checks
// that between least and most positional arguments remain (most < 0: no
// limit). Everything after "--" is positional.
func parseArgs(fs *flag.FlagSet, args []string, least, most int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) < least || (most >= 0 && len(pos) > most) {
		want := "no arguments"
		if c := root.lookup(fs.Name()); c != nil && c.args != "" {
			want = c.args
		}
		return nil, usageFor(fs, "%s takes %s, got %q", fs.Name(), want, pos)
	}
	return pos, nil
}

// withApp loads and validates the configuration, opens the app, runs fn
// and closes the app. A command that changes data (write) first refuses an
// embedded store another process holds, instead of failing on its first
// write.
func withApp(ctx context.Context, env *Env, write bool, fn func(*App) error) error {
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, env.Stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	if write {
		if err := app.writable(); err != nil {
			return err
		}
	}
	return fn(app)
}

// writable says why the app cannot change data: the embedded store is
// held by another process (the first one to open DATA_DIR writes; the
// others only read its last snapshot).
func (a *App) writable() error {
	if a.Embedded != nil && a.Embedded.ReadOnly() {
		holder := a.Embedded.Holder()
		if holder == "" {
			holder = "another umkmbot process (chat or serve)"
		}
		return fmt.Errorf("%s is using the embedded store in %s, and this command changes data: "+
			"stop it first, or set REDIS_URL so that several processes share one Redis", holder, a.Cfg.DataDir)
	}
	return nil
}
