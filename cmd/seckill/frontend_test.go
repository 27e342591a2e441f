package main

import (
	"errors"
	"testing"

	"seckill/internal/config"
)

func TestOverrideFrontEnd(t *testing.T) {
	cfg := &config.Config{}
	cfg.Server.FrontEnd = config.FrontEndNetpoll
	if err := overrideFrontEnd(cfg, ""); err != nil || cfg.Server.FrontEnd != config.FrontEndNetpoll {
		t.Fatalf("empty flag changed the config: %v %q", err, cfg.Server.FrontEnd)
	}
	if err := overrideFrontEnd(cfg, "nethttp"); err != nil || cfg.Server.FrontEnd != config.FrontEndNetHTTP {
		t.Fatalf("nethttp: %v %q", err, cfg.Server.FrontEnd)
	}
	if err := overrideFrontEnd(cfg, "epoll"); !errors.Is(err, errFrontEnd) || cfg.Server.FrontEnd != config.FrontEndNetHTTP {
		t.Fatalf("epoll: %v %q", err, cfg.Server.FrontEnd)
	}
}
