// Command rocketmq-local starts a real RocketMQ namesrv and broker on
// loopback (see internal/realbroker), prints their addresses and runs until
// SIGINT or SIGTERM.
//
//	go run ./cmd/rocketmq-local -version 5.3.3 -conf enableLmq=true
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/realbroker"
)

func main() {
	var confs []string
	version := flag.String("version", "", "RocketMQ version (default $ROCKETMQ_VERSION or "+realbroker.DefaultVersion+")")
	flag.Func("conf", "extra broker.conf line, e.g. -conf autoDeleteUnusedStats=false (repeatable)", func(s string) error {
		confs = append(confs, s)
		return nil
	})
	resolveOnly := flag.Bool("resolve-only", false, "only resolve (and cache) the jars' classpath, then exit")
	flag.Parse()
	log.SetFlags(log.Ltime)
	if *resolveOnly {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		if _, err := realbroker.Classpath(ctx, *version); err != nil {
			log.Fatal(err)
		}
		if err := realbroker.ResolveProxy(ctx, *version); err != nil {
			log.Fatal(err)
		}
		log.Printf("classpath cached under %s", realbroker.CacheDir())
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := realbroker.Start(ctx, realbroker.Options{
		Version:    *version,
		BrokerConf: confs,
		Logf:       log.Printf,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("VERSION=%s\nNAMESRV=%s\nBROKER=%s\nHOME=%s\n", c.Version, c.NamesrvAddr, c.BrokerAddr, c.Home)
	log.Printf("running; Ctrl-C to stop")
	<-ctx.Done()
	log.Printf("stopping")
	c.Stop()
}
