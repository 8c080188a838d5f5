// Command ferretdb runs FerretDB 1.24 on its SQLite backend for local development and CI.
//
// It embeds the library package rather than installing cmd/ferretdb, whose module zip lacks
// build/version/version.txt and panics at start-up (FerretDB#2982).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (keep it on loopback)")
	dataDir := flag.String("data-dir", ".data/ferretdb", "directory holding the SQLite databases")
	verbose := flag.Bool("verbose", false, "log every command at debug level")
	// For measuring the other backend side by side (README "The store under load"); the embedded default is SQLite.
	postgresURL := flag.String("postgresql-url", "", "use FerretDB's PostgreSQL backend at this URL instead of SQLite in --data-dir")
	flag.Parse()

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	config := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   logger,
		Handler:  "sqlite",
		// The SQLite handler wants a directory URI, which must end with a slash. FerretDB already turns on WAL;
		// synchronous=NORMAL under WAL survives a process crash and only risks the last commits on power loss,
		// which suits the embedded development and CI database (production runs MongoDB).
		SQLiteURL: "file:" + dir + "/?_pragma=synchronous(normal)",
	}
	if *postgresURL != "" {
		config.Handler = "postgresql"
		config.PostgreSQLURL = *postgresURL
		config.SQLiteURL = ""
	}
	db, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Scripts wait for this line to know the port is open.
	fmt.Printf("ferretdb listening on %s\n", db.MongoDBURI())
	if err := db.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
