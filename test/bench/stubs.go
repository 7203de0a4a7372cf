package main

import "errors"

type quotaConfig struct{}
type refreshConfig struct{}
type latencyConfig struct{}

func (quotaConfig) flags()   {}
func (refreshConfig) flags() {}
func (latencyConfig) flags() {}

func runQuota(config) error   { return errors.New("todo") }
func runRefresh(config) error { return errors.New("todo") }
func runLatency(config) error { return errors.New("todo") }
