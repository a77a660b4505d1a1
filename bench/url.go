package main

import (
	"errors"
	"net/url"
)

func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the URL, password included: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, errors.New("parse database URL: " + ue.Err.Error())
		}
		return nil, errors.New("parse database URL")
	}
	return u, nil
}
