package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"seckill/internal/live/token"
)

func mintToken(args []string) error {
	fs := flag.NewFlagSet("token", flag.ExitOnError)
	uid := fs.Uint64("uid", 0, "the user id the token is for (required)")
	configPath := fs.String("config", "", "take the secret from this config `file`")
	secret := fs.String("secret", "", "the HMAC secret (instead of -config)")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	fs.Parse(args)

	uidSet := false
	fs.Visit(func(f *flag.Flag) { uidSet = uidSet || f.Name == "uid" })
	if !uidSet {
		return errors.New("token: -uid is required")
	}
	key := []byte(*secret)
	switch {
	case *configPath != "" && *secret != "":
		return errors.New("token: give -config or -secret, not both")
	case *configPath != "":
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return err
		}
		key = cfg.Auth.SecretBytes
	case *secret == "":
		return errors.New("token: -config or -secret is required")
	}
	if *ttl <= 0 {
		return errors.New("token: -ttl must be positive")
	}
	fmt.Println(token.Mint(key, *uid, time.Now().Add(*ttl).Unix()))
	return nil
}
