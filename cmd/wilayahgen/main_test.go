package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestBuildSplitsByProvince(t *testing.T) {
	csv := "kode,nama\n36.73,Kota Serang\n36,Banten\n36.73.01,Serang\n36.73.01.1001,Cipare\n" +
		"12.07.28.1007,\"Lubuk Pakam I,II\"\n12,Sumatera Utara\n"
	rows, err := readList(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	files, err := build(rows)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(files["index.tsv"]), "12\tSumatera Utara\n36\tBanten\n36.73\tKota Serang\n"; got != want {
		t.Errorf("index = %q, want %q", got, want)
	}
	if got, want := gunzip(t, files["36.tsv.gz"]), "36.73.01\tSerang\n36.73.01.1001\tCipare\n"; got != want {
		t.Errorf("36 = %q, want %q", got, want)
	}
	if got, want := gunzip(t, files["12.tsv.gz"]), "12.07.28.1007\tLubuk Pakam I,II\n"; got != want {
		t.Errorf("12 = %q, want %q", got, want)
	}
	again, _ := build(rows)
	if !bytes.Equal(again["36.tsv.gz"], files["36.tsv.gz"]) {
		t.Error("output is not deterministic")
	}
}

func TestReadListRejects(t *testing.T) {
	for _, csv := range []string{
		"code,name\n36,Banten\n",
		"kode,nama\n36.7,Kota\n",
		"kode,nama\n36,Banten\n36,Banten\n",
		"kode,nama\n36,\n",
	} {
		if _, err := readList(strings.NewReader(csv)); err == nil {
			t.Errorf("readList(%q) accepted", csv)
		}
	}
}

// TestEmbeddedDataIsCurrent regenerates the embedded files from the list
// in ../shared/wilayah (beside the repository, as in CI) and compares.
func TestEmbeddedDataIsCurrent(t *testing.T) {
	src := "../../../shared/wilayah/wilayah-kepmendagri-2025.csv"
	if _, err := os.Stat(src); err != nil {
		t.Skip("code list not beside the repository:", err)
	}
	out := t.TempDir()
	if err := run(src, filepath.Join(filepath.Dir(src), "README.md"), out); err != nil {
		t.Fatal(err)
	}
	made, _ := filepath.Glob(filepath.Join(out, "*"))
	committed, _ := filepath.Glob("../../flows/data/wilayah/*")
	if len(made) != len(committed) {
		t.Fatalf("%d files generated, %d committed: run go generate ./flows", len(made), len(committed))
	}
	for _, m := range made {
		want, err := os.ReadFile(filepath.Join("../../flows/data/wilayah", filepath.Base(m)))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(m)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what wilayahgen makes now: run go generate ./flows", filepath.Base(m))
		}
	}
}
