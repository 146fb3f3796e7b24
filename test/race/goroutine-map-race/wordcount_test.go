package wordcount

import "testing"

func TestCount(t *testing.T) {
	docs := []string{"a b c", "b c d", "c d e", "a a a", "e e b"}
	for i := 0; i < 20; i++ {
		got := Count(docs)
		if got["a"] != 4 || got["c"] != 3 || got["e"] != 3 {
			t.Fatalf("wrong counts: %v", got)
		}
	}
}
