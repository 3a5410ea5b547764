package admission

import (
	"net/http"
	"time"
)

// Workers are the goroutines that requests which waited for their turn
// execute on. A goroutine is reused while requests keep coming, so that a
// request does not grow a fresh goroutine's stack to the 16 KiB execution
// needs: growing it, frame by frame, took ~10 % of the CPU of an attach(1)
// (BenchmarkServeAttachCanned). An idle one ends after workerIdle. There
// is no bound here (the admission bounds what executes) and no goroutine
// of the pool's own, so a server that serves nothing leaves nothing running; for
// that reason this is not a pool library such as ants, whose pools keep
// a clock goroutine until released.
type Workers struct {
	tasks chan func() // unbuffered: a send succeeds only to an idle worker
}

const workerIdle = time.Second

// NewWorkers returns Workers with no goroutine yet.
func NewWorkers() *Workers { return &Workers{tasks: make(chan func())} }

// Serve runs next on a worker and waits for it. A panic there is raised
// again here, where net/http expects it (an http.ErrAbortHandler, or one
// reqlog.Recoverer let through).
func (ws *Workers) Serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	done := make(chan any, 1)
	task := func() {
		defer func() { done <- recover() }()
		next.ServeHTTP(w, r)
	}
	select {
	case ws.tasks <- task:
	default:
		go ws.work(task)
	}
	if p := <-done; p != nil {
		panic(p)
	}
}

// work runs task, then the tasks handed to it, until it has been idle for
// workerIdle.
func (ws *Workers) work(task func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		task()
		idle.Reset(workerIdle)
		select {
		case task = <-ws.tasks:
		case <-idle.C:
			return
		}
	}
}
