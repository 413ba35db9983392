package wasmrt

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental/sys"
)

// fdTable reaches the descriptor table of one wazero module instance.
//
// wazero keeps the table in internal/sys.FSContext, which host functions
// outside wazero cannot name. Its exported members can still be reached with
// reflection (no unsafe): ModuleInstance.Sys.FS() returns the FSContext,
// whose LookupFile and OpenFile methods take and return only public types.
// wasmrt needs them to place the sockets it owns (listeners before the
// module starts, accepted connections) and to find them again in
// poll_oneoff. The shape is pinned by the wazero version in go.mod and
// checked by TestFDTable.
//
// A table is used only from the goroutine running the module, as wazero's
// own host functions do.
type fdTable struct {
	lookup reflect.Value // func(int32) (*FileEntry, bool)
	open   reflect.Value // func(sys.FS, string, sys.Oflag, fs.FileMode) (int32, sys.Errno)
	close  reflect.Value // func() error
}

var errFDTable = errors.New("wazero module has no reachable descriptor table")

// newFDTable finds the descriptor table of mod.
func newFDTable(mod api.Module) (t *fdTable, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%w: %v", errFDTable, r)
		}
	}()
	v := reflect.ValueOf(mod)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: module is a %T", errFDTable, mod)
	}
	sysCtx := v.Elem().FieldByName("Sys")
	if !sysCtx.IsValid() || sysCtx.Kind() != reflect.Pointer || sysCtx.IsNil() {
		return nil, fmt.Errorf("%w: no Sys field", errFDTable)
	}
	fsMethod := sysCtx.MethodByName("FS")
	if !fsMethod.IsValid() || fsMethod.Type().NumIn() != 0 || fsMethod.Type().NumOut() != 1 {
		return nil, fmt.Errorf("%w: no Sys.FS method", errFDTable)
	}
	fsc := fsMethod.Call(nil)[0]
	t = &fdTable{lookup: fsc.MethodByName("LookupFile"), open: fsc.MethodByName("OpenFile"), close: fsc.MethodByName("Close")}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// check verifies the signatures that file and insert rely on.
func (t *fdTable) check() error {
	if !t.lookup.IsValid() || !t.open.IsValid() || !t.close.IsValid() {
		return fmt.Errorf("%w: no LookupFile, OpenFile or Close", errFDTable)
	}
	if ct := t.close.Type(); ct.NumIn() != 0 || ct.NumOut() != 1 || ct.Out(0) != reflect.TypeFor[error]() {
		return fmt.Errorf("%w: Close is %v", errFDTable, ct)
	}
	lt := t.lookup.Type()
	if lt.NumIn() != 1 || lt.In(0).Kind() != reflect.Int32 || lt.NumOut() != 2 ||
		lt.Out(1).Kind() != reflect.Bool || lt.Out(0).Kind() != reflect.Pointer {
		return fmt.Errorf("%w: LookupFile is %v", errFDTable, lt)
	}
	entry := lt.Out(0).Elem()
	field, ok := entry.FieldByName("File")
	if !ok || field.Type != reflect.TypeFor[sys.File]() {
		return fmt.Errorf("%w: FileEntry has no File field", errFDTable)
	}
	ot := t.open.Type()
	want := []reflect.Type{reflect.TypeFor[sys.FS](), reflect.TypeFor[string](), reflect.TypeFor[sys.Oflag](), reflect.TypeFor[fs.FileMode]()}
	if ot.NumIn() != len(want) || ot.NumOut() != 2 || ot.Out(0).Kind() != reflect.Int32 || ot.Out(1) != reflect.TypeFor[sys.Errno]() {
		return fmt.Errorf("%w: OpenFile is %v", errFDTable, ot)
	}
	for i, w := range want {
		if ot.In(i) != w {
			return fmt.Errorf("%w: OpenFile is %v", errFDTable, ot)
		}
	}
	return nil
}

// file returns the file open at fd.
func (t *fdTable) file(fd int32) (sys.File, bool) {
	out := t.lookup.Call([]reflect.Value{reflect.ValueOf(fd)})
	if !out[1].Bool() || out[0].IsNil() {
		return nil, false
	}
	f, ok := out[0].Elem().FieldByName("File").Interface().(sys.File)
	return f, ok && f != nil
}

// insert places f at the lowest free descriptor and returns it.
func (t *fdTable) insert(f sys.File) (int32, sys.Errno) {
	var from sys.FS = handoffFS{f: f}
	out := t.open.Call([]reflect.Value{
		reflect.ValueOf(&from).Elem(),
		reflect.ValueOf("socket"),
		reflect.ValueOf(sys.O_RDWR),
		reflect.ValueOf(fs.FileMode(0)),
	})
	return int32(out[0].Int()), out[1].Interface().(sys.Errno)
}

// closeAll closes every open file. wazero does it when a module exits by
// itself, but not when a host function ends it by panicking with an exit
// error, as wasmrt's do when the process is killed. Closing twice is
// harmless: the first close empties the table.
func (t *fdTable) closeAll() {
	_ = t.close.Call(nil)
}

// handoffFS is the file system insert passes to OpenFile: it opens one
// ready-made file.
type handoffFS struct {
	sys.UnimplementedFS
	f sys.File
}

func (h handoffFS) OpenFile(string, sys.Oflag, fs.FileMode) (sys.File, sys.Errno) {
	return h.f, 0
}
