// Command goclient verifies a credo log the way any standard tlog client would, with no credo
// code: golang.org/x/mod/sumdb/note for the signed checkpoint (C2SP signed-note) and
// golang.org/x/mod/sumdb/tlog for tiles and proofs (C2SP tlog-tiles, RFC 9162 hashing).
//
// Usage:
//
//	goclient -url http://127.0.0.1:8000 -vkey 'origin+hexid+base64key' \
//	    [-entries 0,17,700] [-old old-checkpoint-file]...
//
// It fetches /log/checkpoint, checks the log's signature and parses the checkpoint body;
// for each -entries index it fetches the entry bundle, proves the entry's inclusion from
// tiles authenticated against the checkpoint's root; for each -old checkpoint it proves
// that the new tree extends the old one. On success it prints one JSON object on stdout;
// on any failure it prints the reason on stderr and exits 1.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type server struct {
	base    string
	client  *http.Client
	fetched int
}

func (s *server) get(path string) ([]byte, error) {
	resp, err := s.client.Get(s.base + "/log/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /log/%s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	s.fetched++
	return body, nil
}

// c2spPath maps Go's tile coordinates to C2SP tlog-tiles paths: Go's Tile.Path is
// tile/<H>/<L>/<N>[.p/<W>] (and tile/<H>/data/... for entries); C2SP drops the height
// (always 8) and names entry bundles tile/entries/<N>[.p/<W>].
func c2spPath(t tlog.Tile) string {
	rest := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", t.H))
	if t.L == -1 {
		rest = "entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest
}

// Height, ReadTiles and SaveTiles make server a tlog.TileReader.
func (s *server) Height() int { return tileHeight }

func (s *server) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := s.get(c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (s *server) SaveTiles([]tlog.Tile, [][]byte) {}

func openCheckpoint(msg []byte, verifier note.Verifier) (tlog.Tree, string, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint signature: %w", err)
	}
	// C2SP tlog-checkpoint: origin line, decimal size, base64 root hash, optional extensions.
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint has %d lines", len(lines))
	}
	origin := lines[0]
	if origin != verifier.Name() {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint origin %q is not the key name %q", origin, verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint size %q is not a decimal", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint root %q is not a base64 SHA-256 hash", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return tlog.Tree{N: size, Hash: h}, origin, nil
}

// entry reads leaf i from its C2SP entry bundle: 2-byte big-endian length, then the bytes.
func (s *server) entry(tree tlog.Tree, i int64) ([]byte, error) {
	n := i / (1 << tileHeight)
	w := tree.N - n<<tileHeight
	if w > 1<<tileHeight {
		w = 1 << tileHeight
	}
	data, err := s.get(c2spPath(tlog.Tile{H: tileHeight, L: -1, N: n, W: int(w)}))
	if err != nil {
		return nil, err
	}
	var entries [][]byte
	for r := bytes.NewReader(data); r.Len() > 0; {
		var length uint16
		if err := binary.Read(r, binary.BigEndian, &length); err != nil {
			return nil, fmt.Errorf("entry bundle %d: truncated length", n)
		}
		e := make([]byte, length)
		if _, err := io.ReadFull(r, e); err != nil {
			return nil, fmt.Errorf("entry bundle %d: truncated entry", n)
		}
		entries = append(entries, e)
	}
	if int64(len(entries)) != w {
		return nil, fmt.Errorf("entry bundle %d has %d entries, expected %d", n, len(entries), w)
	}
	return entries[i-n<<tileHeight], nil
}

type result struct {
	Origin      string           `json:"origin"`
	Size        int64            `json:"size"`
	Root        string           `json:"root"`
	Entries     map[int64]string `json:"entries"`
	Consistent  []int64          `json:"consistent_from"`
	TilesLoaded int              `json:"tiles_fetched"`
}

func run() error {
	base := flag.String("url", "", "base URL of the server")
	vkey := flag.String("vkey", "", "the log's signed-note verifier key")
	indexes := flag.String("entries", "", "comma-separated entry indexes to prove")
	var olds stringList
	flag.Var(&olds, "old", "file holding an older checkpoint note (repeatable)")
	flag.Parse()
	if *base == "" || *vkey == "" {
		return errors.New("-url and -vkey are required")
	}
	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %w", err)
	}
	s := &server{base: strings.TrimSuffix(*base, "/"), client: &http.Client{Timeout: 30 * time.Second}}

	msg, err := s.get("checkpoint")
	if err != nil {
		return err
	}
	tree, origin, err := openCheckpoint(msg, verifier)
	if err != nil {
		return err
	}
	// Every hash this reader returns comes from tiles it has authenticated against tree.Hash.
	hashes := tlog.TileHashReader(tree, s)
	out := result{Origin: origin, Size: tree.N, Root: base64.StdEncoding.EncodeToString(tree.Hash[:]), Entries: map[int64]string{}, Consistent: []int64{}}

	if *indexes != "" {
		for _, field := range strings.Split(*indexes, ",") {
			i, err := strconv.ParseInt(field, 10, 64)
			if err != nil || i < 0 || i >= tree.N {
				return fmt.Errorf("entry index %q is not in a tree of size %d", field, tree.N)
			}
			data, err := s.entry(tree, i)
			if err != nil {
				return err
			}
			proof, err := tlog.ProveRecord(tree.N, i, hashes)
			if err != nil {
				return fmt.Errorf("inclusion proof of %d: %w", i, err)
			}
			if err := tlog.CheckRecord(proof, tree.N, tree.Hash, i, tlog.RecordHash(data)); err != nil {
				return fmt.Errorf("entry %d is not in the tree: %w", i, err)
			}
			out.Entries[i] = base64.StdEncoding.EncodeToString(data)
		}
	}

	for _, path := range olds {
		oldMsg, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		old, _, err := openCheckpoint(oldMsg, verifier)
		if err != nil {
			return fmt.Errorf("old checkpoint %s: %w", path, err)
		}
		if old.N > tree.N {
			return fmt.Errorf("old checkpoint size %d is beyond the current %d", old.N, tree.N)
		}
		proof, err := tlog.ProveTree(tree.N, old.N, hashes)
		if err != nil {
			return fmt.Errorf("consistency proof %d -> %d: %w", old.N, tree.N, err)
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, old.N, old.Hash); err != nil {
			return fmt.Errorf("tree %d is not a prefix of tree %d: %w", old.N, tree.N, err)
		}
		out.Consistent = append(out.Consistent, old.N)
	}
	out.TilesLoaded = s.fetched
	return json.NewEncoder(os.Stdout).Encode(out)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "goclient:", err)
		os.Exit(1)
	}
}
