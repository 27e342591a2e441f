package main

import (
	"errors"
	"fmt"

	"seckill/internal/config"
)

// errFrontEnd reports a -front-end value that names no front end.
var errFrontEnd = errors.New("seckill: serve -front-end")

// overrideFrontEnd applies serve's -front-end flag over the configuration,
// so a benchmark can run one config under every front end.
func overrideFrontEnd(cfg *config.Config, v string) error {
	switch v {
	case "":
		return nil
	case config.FrontEndNetpoll, config.FrontEndNetHTTP, config.FrontEndFloor:
		cfg.Server.FrontEnd = v
		return nil
	}
	return fmt.Errorf("%w: %q is not one of %q, %q, %q", errFrontEnd, v, config.FrontEndNetpoll, config.FrontEndNetHTTP, config.FrontEndFloor)
}
