package telegram

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeUpdatesOneByOne(t *testing.T) {
	const good = `{"update_id":%d,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"text":"halo"}}`
	up := func(id string) string { return strings.Replace(good, "%d", id, 1) }
	tests := []struct {
		name   string
		result string
		offset int
		ok     []int
		bad    []undecodable
		last   int
	}{
		{"all good", "[" + up("10") + "," + up("11") + "]", 10, []int{10, 11}, nil, 11},
		{"empty", "[]", 10, nil, nil, 9},
		{"a bad field", "[" + up("10") + `,{"update_id":11,"message":{"message_id":"not-a-number"}},` + up("12") + "]", 10,
			[]int{10, 12}, []undecodable{{11, "type: message.message_id is a JSON string, want int"}}, 12},
		{"no readable id: the one after", "[" + up("10") + `,{"update_id":"x"}]`, 10,
			[]int{10}, []undecodable{{11, "type: update_id is a JSON string, want int"}}, 11},
		{"first without id: the offset", `[{"message":{}}]`, 20, nil, []undecodable{{20, "no update_id"}}, 20},
		{"not an object", `[17,` + up("10") + `]`, 10, []int{10}, []undecodable{{10, "type:  is a JSON number, want tgbotapi.Update"}}, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, bad, last, err := decodeUpdates(json.RawMessage(tc.result), tc.offset)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int
			for _, f := range ok {
				ids = append(ids, f.u.UpdateID)
			}
			if diff := cmp.Diff(tc.ok, ids); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.bad, bad, cmp.AllowUnexported(undecodable{})); diff != "" {
				t.Errorf("undecodable (-want +got):\n%s", diff)
			}
			if last != tc.last {
				t.Errorf("last %d, want %d", last, tc.last)
			}
		})
	}
	if _, _, _, err := decodeUpdates(json.RawMessage(`{"oops":1}`), 1); err == nil {
		t.Fatal("a result that is not a list decoded")
	}
}

// FuzzDecodeUpdates: any getUpdates result decodes without panicking;
// every element is either decoded or reported, the offset moves past all
// of them, and an error kind never carries the update's text.
func FuzzDecodeUpdates(f *testing.F) {
	f.Add([]byte(`[{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"text":"halo"}}]`), 5)
	f.Add([]byte(`[{"update_id":6,"message":{"message_id":"not-a-number","text":"3214015503900001"}}]`), 6)
	f.Add([]byte(`[{"update_id":7,"callback_query":{"id":"c","from":{"id":"x"}}},{"update_id":8}]`), 7)
	f.Add([]byte(`[{"update_id":-3},{},null,"s",[1],{"update_id":1e99}]`), 1)
	f.Fuzz(func(t *testing.T, data []byte, offset int) {
		ok, bad, last, err := decodeUpdates(data, offset)
		if err != nil {
			return
		}
		var raws []json.RawMessage
		if json.Unmarshal(data, &raws) != nil {
			t.Fatal("decoded a result that is not a list")
		}
		if len(ok)+len(bad) != len(raws) {
			t.Fatalf("%d decoded + %d undecodable of %d updates", len(ok), len(bad), len(raws))
		}
		for _, f := range ok {
			if f.u.UpdateID > last || f.u.UpdateID <= 0 {
				t.Fatalf("update %d, last %d", f.u.UpdateID, last)
			}
		}
		for _, b := range bad {
			if b.id > last {
				t.Fatalf("undecodable %d after last %d", b.id, last)
			}
			if strings.Contains(b.kind, "3214015503900001") || strings.Contains(b.kind, "halo") {
				t.Fatalf("error kind %q carries the update's text", b.kind)
			}
		}
	})
}

// TestDecodeWhole: a list whose updates all decode and are new is decoded
// in one pass; any other list is left to decodeUpdates (ok false).
func TestDecodeWhole(t *testing.T) {
	good := `[{"update_id":7,"message":{"message_id":1,"chat":{"id":42,"type":"private"},"date":1,"text":"halo"}},{"update_id":8,"message":{"message_id":2,"chat":{"id":43,"type":"private"},"date":1,"text":"1"}}]`
	ups, last, ok := decodeWhole(json.RawMessage(good), 7)
	if !ok || last != 8 || len(ups) != 2 || ups[1].u.Message.Text != "1" || ups[0].u.Message.Chat.ID != 42 {
		t.Fatalf("good list: %d updates, last %d, ok %v", len(ups), last, ok)
	}
	for name, result := range map[string]string{
		"an undecodable update":   `[{"update_id":7,"message":{"message_id":"not-a-number"}},{"update_id":8}]`,
		"no update_id":            `[{"message":{"message_id":1}}]`,
		"an update already taken": `[{"update_id":6},{"update_id":7}]`,
		"not a list":              `{"oops":1}`,
	} {
		if _, _, ok := decodeWhole(json.RawMessage(result), 7); ok {
			t.Errorf("%s: decoded whole; want it left to decodeUpdates", name)
		}
	}
}

// BenchmarkDecodeBatch: a getUpdates answer of 100 text messages, decoded
// one by one (split first) and whole.
func BenchmarkDecodeBatch(b *testing.B) {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := 0; i < 100; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Budi","language_code":"id"},"chat":{"id":%d,"first_name":"Budi","type":"private"},"date":1764550000,"text":"Jl. Raya Anjun No. 5"}}`, 1000+i, i, 5000+i, 5000+i)
	}
	sb.WriteByte(']')
	result := json.RawMessage(sb.String())
	b.Run("split", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			decodeUpdates(result, 1000)
		}
	})
	b.Run("whole", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			decodeWhole(result, 1000)
		}
	})
}
