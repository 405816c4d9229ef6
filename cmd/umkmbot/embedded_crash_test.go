package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEmbeddedKill9AfterRegistration is issue 12's "kill -9 right after a
// confirmed registration": the real binary runs `chat` on a fresh DATA_DIR,
// is killed with SIGKILL the moment it prints the registration number, and
// a second chat registers another owner. Both registrations must be in the
// export, with different numbers.
func TestEmbeddedKill9AfterRegistration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildUmkmbot(t)
	data := filepath.Join(t.TempDir(), "data")
	env := append(os.Environ(), "DATA_DIR="+data, "REDIS_URL=", "LOG_LEVEL=warn")

	first := killAfterRegistration(t, bin, env, "siti", registration)

	second := strings.NewReplacer("Siti Aminah", "Budi Santoso", "3214 0155 0390 0001", "3214 0155 0390 0002",
		"0812 3456 7890", "0813 1111 2222", "Keripik Bu Siti", "Tahu Pak Budi").Replace(registration)
	cmd := exec.Command(bin, "chat", "--user", "budi")
	cmd.Env, cmd.Stdin = env, strings.NewReader(second)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("second chat: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Pendaftaran berhasil dengan nomor (UMKM-\d{4}-\d{6})`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the second chat did not register:\n%s", out)
	}
	if string(m[1]) == first {
		t.Fatalf("the second owner got %s again: the first registration was lost", first)
	}

	exp := exec.Command(bin, "export", "registrations", "--format", "csv")
	exp.Env = env
	csvOut, err := exp.Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	rows := readCSV(t, string(csvOut))
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[0]] = r[3]
	}
	want := map[string]string{first: "Siti Aminah", string(m[1]): "Budi Santoso"}
	if len(got) != 2 || got[first] != want[first] || got[string(m[1])] != want[string(m[1])] {
		t.Fatalf("export after kill -9 = %v, want %v", got, want)
	}
}

func buildUmkmbot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "umkmbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestEmbeddedSecondProcessNextToChat is issue 15's "a second
// chat/export/training add next to a running chat": export reads the
// running chat's confirmed registration without trying to write (no galeri
// reload), and training add fails naming the chat process, not with a
// timeout.
func TestEmbeddedSecondProcessNextToChat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildUmkmbot(t)
	data := filepath.Join(t.TempDir(), "data")
	env := append(os.Environ(), "DATA_DIR="+data, "REDIS_URL=", "LOG_LEVEL=info")

	chat := exec.Command(bin, "chat", "--user", "siti")
	chat.Env = env
	stdin, err := chat.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := chat.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.Start(); err != nil {
		t.Fatal(err)
	}
	defer chat.Process.Kill()
	io.WriteString(stdin, registration)
	sc := bufio.NewScanner(stdout)
	number := ""
	for number == "" && sc.Scan() {
		if m := regexp.MustCompile(`nomor (UMKM-\d{4}-\d{6})`).FindStringSubmatch(sc.Text()); m != nil {
			number = m[1]
		}
	}
	if number == "" {
		t.Fatal("chat did not register")
	}
	go io.Copy(io.Discard, stdout)

	second := func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out, errs strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errs
		err := cmd.Run()
		return out.String(), errs.String(), err
	}
	out, errs, err := second("export", "registrations", "--format", "csv")
	if err != nil || !strings.Contains(out, number) {
		t.Fatalf("export next to chat: %v, output:\n%s\nstderr:\n%s", err, out, errs)
	}
	if strings.Contains(errs, "not reloaded") || strings.Contains(errs, "timeout") {
		t.Errorf("export next to chat tried to write:\n%s", errs)
	}
	holder := "umkmbot chat (pid " + strconv.Itoa(chat.Process.Pid) + ")"
	_, errs, err = second("training", "add", "--title", "Jualan online", "--topic", "ecommerce",
		"--start", "2030-12-01 09:00", "--end", "2030-12-01 12:00", "--capacity", "10",
		"--place", "Aula DKUPP", "--deadline", "2030-11-30 17:00")
	if err == nil || !strings.Contains(errs, holder) || strings.Contains(errs, "timeout") {
		t.Errorf("training add next to chat: err = %v, want a failure naming %q; stderr:\n%s", err, holder, errs)
	}

	stdin.Close() // the chat ends normally and lets go of the directory
	if err := chat.Wait(); err != nil {
		t.Fatalf("chat: %v", err)
	}
	if _, errs, err := second("training", "add", "--title", "Jualan online", "--topic", "ecommerce",
		"--start", "2030-12-01 09:00", "--end", "2030-12-01 12:00", "--capacity", "10",
		"--place", "Aula DKUPP", "--deadline", "2030-11-30 17:00"); err != nil {
		t.Fatalf("training add after chat ended: %v\n%s", err, errs)
	}
}

// killAfterRegistration runs `chat --user user` with script on stdin and
// SIGKILLs it as soon as stdout shows a registration number, which it
// returns.
func killAfterRegistration(t *testing.T, bin string, env []string, user, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "chat", "--user", user)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Keep stdin open: the chat must not end (and close the store cleanly)
	// before the kill.
	go io.WriteString(stdin, script)
	number := regexp.MustCompile(`Pendaftaran berhasil dengan nomor (UMKM-\d{4}-\d{6})`)
	sc := bufio.NewScanner(stdout)
	var seen strings.Builder
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if m := number.FindStringSubmatch(sc.Text()); m != nil {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("chat was not killed but ended: %v", cmd.ProcessState)
			}
			return m[1]
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("chat ended without a registration number:\n%s", seen.String())
	return ""
}
