package api

import (
	"encoding/json"
	"testing"
)

// BenchmarkDecodeObject measures the strict decoder on a request body, against encoding/json's
// lenient one as a baseline.
func BenchmarkDecodeObject(b *testing.B) {
	docs, errs := DecodeManifest(readTestdata(b, "hello-wasm.json"))
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	body, _ := json.Marshal(docs[0].Object)
	b.Run("strict", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := DecodeObject(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var p Pod
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeManifest(b *testing.B) {
	data := readTestdata(b, "game-demo.yaml")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, errs := DecodeManifest(data); len(errs) > 0 {
			b.Fatal(errs[0])
		}
	}
}
