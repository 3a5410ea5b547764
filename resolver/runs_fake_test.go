package resolver_test

import (
	"context"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// The schedules-and-runs part of resolver.Platform for every fake that
// embeds noSpaces, failing every call.

func (noSpaces) QueryProcessSchedules(context.Context, platformapi.Account, *platformapi.Expression) ([]platformapi.ProcessSchedules, error) {
	return nil, errNoCatalog
}

func (noSpaces) UpdateProcessSchedules(context.Context, platformapi.Account, string, []byte) (platformapi.ProcessSchedules, error) {
	return platformapi.ProcessSchedules{}, errNoCatalog
}

func (noSpaces) QueryExecutionRecords(context.Context, platformapi.Account, *platformapi.Expression) ([]platformapi.ExecutionRecord, error) {
	return nil, errNoCatalog
}

func (noSpaces) ExecuteProcess(context.Context, platformapi.Account, string, string) (platformapi.ExecutionRequest, error) {
	return platformapi.ExecutionRequest{}, errNoCatalog
}

func (noSpaces) CheckCredentials(context.Context, platformapi.Account) error { return errNoCatalog }
