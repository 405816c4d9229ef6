// Command wilayahgen turns the Kemendagri code list (CSV "kode,nama", as in
// ../shared/wilayah) into the compact form flows embeds:
//
//	index.tsv        every province and kabupaten/kota: "kode<TAB>nama"
//	<pp>.tsv.gz      every kecamatan and desa/kelurahan of province pp,
//	                 "kode<TAB>nama" in code order, gzip'd
//	LICENSE          the list's MIT notice, which derived data must keep
//
// Run it from flows (go generate ./flows) after the list changes; the
// output is deterministic, so an unchanged list gives unchanged files.
//
//	go run ./cmd/wilayahgen -in ../shared/wilayah/wilayah-kepmendagri-2025.csv -out flows/data/wilayah
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func main() {
	in := flag.String("in", "../shared/wilayah/wilayah-kepmendagri-2025.csv", "the code list (CSV kode,nama)")
	out := flag.String("out", "flows/data/wilayah", "output directory")
	notice := flag.String("notice", "", "the list's README with its licence notice (default: README.md next to -in)")
	flag.Parse()
	if *notice == "" {
		*notice = filepath.Join(filepath.Dir(*in), "README.md")
	}
	if err := run(*in, *notice, *out); err != nil {
		fmt.Fprintln(os.Stderr, "wilayahgen:", err)
		os.Exit(1)
	}
}

func run(in, notice, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := readList(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	lic, err := licence(notice)
	if err != nil {
		return err
	}
	files, err := build(rows)
	if err != nil {
		return err
	}
	files["LICENSE"] = lic
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// row is one entry of the list.
type row struct{ code, name string }

var codeShape = regexp.MustCompile(`^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$`)

// readList reads and checks the CSV: a header, then kode,nama with codes of
// the four shapes, no duplicates.
func readList(r io.Reader) ([]row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if head[0] != "kode" || head[1] != "nama" {
		return nil, fmt.Errorf("header %q, want kode,nama", head)
	}
	var rows []row
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		code, name := strings.TrimSpace(rec[0]), strings.Join(strings.Fields(rec[1]), " ")
		if !codeShape.MatchString(code) || name == "" || strings.ContainsAny(name, "\t\n") {
			return nil, fmt.Errorf("bad row %q", rec)
		}
		if seen[code] {
			return nil, fmt.Errorf("code %s twice", code)
		}
		seen[code] = true
		rows = append(rows, row{code, name})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].code < rows[j].code })
	return rows, nil
}

// build returns the output files by name.
func build(rows []row) (map[string][]byte, error) {
	var index bytes.Buffer
	byProvince := map[string]*bytes.Buffer{}
	for _, r := range rows {
		line := r.code + "\t" + r.name + "\n"
		if len(r.code) <= 5 {
			index.WriteString(line)
			continue
		}
		pp := r.code[:2]
		if byProvince[pp] == nil {
			byProvince[pp] = &bytes.Buffer{}
		}
		byProvince[pp].WriteString(line)
	}
	files := map[string][]byte{"index.tsv": index.Bytes()}
	for pp, b := range byProvince {
		var z bytes.Buffer
		// A zero header (no name, no time) keeps the output deterministic.
		zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(b.Bytes()); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		files[pp+".tsv.gz"] = z.Bytes()
	}
	return files, nil
}

// licence returns the MIT notice from the list's README: from "MIT License"
// to the end.
func licence(readme string) ([]byte, error) {
	data, err := os.ReadFile(readme)
	if err != nil {
		return nil, fmt.Errorf("licence notice: %w", err)
	}
	i := bytes.Index(data, []byte("MIT License"))
	if i < 0 {
		return nil, fmt.Errorf("%s: no MIT License notice found", readme)
	}
	head := "Data in this directory is derived from the Kemendagri 2025 code list\n" +
		"(dataset \"wilayah\" by Cahya DSN, Kepmendagri No 300.2.2-2138 Tahun 2025) by\n" +
		"cmd/wilayahgen, without changes to codes or names. Its licence:\n\n"
	return append([]byte(head), bytes.TrimSpace(data[i:])...), nil
}
