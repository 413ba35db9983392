package wasmrt

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// wasiHost is wazero's wasi_snapshot_preview1 with the functions wasmrt
// replaces: poll_oneoff (sleep until a socket or timer is ready, stop when
// killed) and sock_accept (accept from listeners wasmrt owns).
type wasiHost struct {
	stockPoll   api.GoModuleFunction
	stockAccept api.GoModuleFunction
}

var (
	i32       = api.ValueTypeI32
	pollTypes = []api.ValueType{i32, i32, i32, i32}
	accTypes  = []api.ValueType{i32, i32, i32}
	errnoType = []api.ValueType{i32}
)

// instantiateWASI instantiates the host module in wz.
func instantiateWASI(ctx context.Context, wz wazero.Runtime) (*wasiHost, error) {
	h := &wasiHost{}
	if err := h.loadStock(ctx, wz); err != nil {
		return nil, err
	}
	b := wz.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(h.pollOneoff), pollTypes, errnoType).
		WithParameterNames("in", "out", "nsubscriptions", "result.nevents").
		Export("poll_oneoff")
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(h.sockAccept), accTypes, errnoType).
		WithParameterNames("fd", "flags", "result.fd").
		Export("sock_accept")
	if _, err := b.Instantiate(ctx); err != nil {
		return nil, fmt.Errorf("instantiate wasi: %w", err)
	}
	return h, nil
}

// loadStock keeps wazero's own poll_oneoff and sock_accept to fall back on.
func (h *wasiHost) loadStock(ctx context.Context, wz wazero.Runtime) error {
	b := wz.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	stock, err := b.Compile(ctx)
	if err != nil {
		return fmt.Errorf("compile wasi: %w", err)
	}
	defer stock.Close(ctx)
	fns := stock.ExportedFunctions()
	var ok bool
	if h.stockPoll, ok = fns["poll_oneoff"].GoFunction().(api.GoModuleFunction); !ok {
		return fmt.Errorf("wasi poll_oneoff is a %T", fns["poll_oneoff"].GoFunction())
	}
	if h.stockAccept, ok = fns["sock_accept"].GoFunction().(api.GoModuleFunction); !ok {
		return fmt.Errorf("wasi sock_accept is a %T", fns["sock_accept"].GoFunction())
	}
	return nil
}

// pollOneoff is poll_oneoff for the calling process.
func (h *wasiHost) pollOneoff(ctx context.Context, mod api.Module, stack []uint64) {
	p := processFrom(ctx)
	if p == nil || p.fds == nil { // not a process, or a start section
		h.stockPoll.Call(ctx, mod, stack)
		return
	}
	stack[0] = uint64(p.poll(ctx, mod, h.stockPoll, stack))
}

// sockAccept is sock_accept for the calling process.
func (h *wasiHost) sockAccept(ctx context.Context, mod api.Module, stack []uint64) {
	p := processFrom(ctx)
	if p == nil || p.fds == nil {
		h.stockAccept.Call(ctx, mod, stack)
		return
	}
	stack[0] = uint64(p.accept(ctx, mod, h.stockAccept, stack))
}

type processKey struct{}

func withProcess(ctx context.Context, p *Process) context.Context {
	return context.WithValue(ctx, processKey{}, p)
}

func processFrom(ctx context.Context) *Process {
	p, _ := ctx.Value(processKey{}).(*Process)
	return p
}
