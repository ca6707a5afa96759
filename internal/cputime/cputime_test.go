package cputime

import (
	"runtime"
	"testing"
	"time"
)

// spin keeps the calling thread busy for at least d of its own CPU time
// as Thread measures it, or for d of wall time where it is not known.
func spin(d time.Duration) {
	start, ok := Thread()
	deadline := time.Now().Add(d)
	x := 0
	for i := 0; ; i++ {
		x += i * i
		if i%1_000_000 == 0 {
			now, _ := Thread()
			if (ok && now-start >= d) || (!ok && time.Now().After(deadline)) {
				break
			}
		}
	}
	_ = x
}

func TestThreadAndProcessCount(t *testing.T) {
	if runtime.GOOS != "linux" {
		if _, ok := Thread(); ok {
			t.Fatal("Thread is known off Linux")
		}
		t.Skip("CPU time is read on Linux only")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, ok := Thread()
	p0, pok := Process()
	if !ok || !pok {
		t.Fatalf("Thread ok = %v, Process ok = %v on Linux", ok, pok)
	}
	const busy = 50 * time.Millisecond
	spin(busy)
	t1, _ := Thread()
	p1, _ := Process()
	if d := t1 - t0; d < busy {
		t.Errorf("thread used %v while spinning for %v of CPU", d, busy)
	}
	// The process's time includes the thread's.
	if d := p1 - p0; d < t1-t0-10*time.Millisecond {
		t.Errorf("process used %v, less than its thread's %v", d, t1-t0)
	}
	if p1 < t1 {
		t.Errorf("process total %v is less than one thread's %v", p1, t1)
	}
}

// TestThreadIsPerThread checks that another thread's work is not counted:
// a goroutine locked to its own thread spins while this one sleeps.
func TestThreadIsPerThread(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU time is read on Linux only")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, _ := Thread()
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		spin(100 * time.Millisecond)
		close(done)
	}()
	<-done
	t1, _ := Thread()
	if d := t1 - t0; d >= 50*time.Millisecond {
		t.Errorf("waiting thread was charged %v of another thread's work", d)
	}
}
