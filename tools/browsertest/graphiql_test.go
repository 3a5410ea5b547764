// Package browsertest drives the gateway's GraphiQL page in headless
// Chromium. It lives in the tools module so that the browser driver
// (chromedp) never enters the gateway's own go.mod.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ipack-gateway/ipack-gateway/internal/testutil"
)

// chromium finds Debian's Chromium (or another build of it).
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts headless Chromium for one test.
func browser(t *testing.T) (context.Context, *testutil.SyncBuffer) {
	t.Helper()
	path := chromium()
	if path == "" && os.Getenv("CI") != "" {
		t.Fatal("no Chromium in CI: .ci/run installs Debian's chromium so that this test runs")
	}
	if path == "" {
		t.Skip("no Chromium on this machine: the GraphiQL browser test needs one (apt install chromium; .ci/run installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)

	problems := &testutil.SyncBuffer{}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			fmt.Fprintf(problems, "exception: %s %v\n", ev.ExceptionDetails.Text, ev.ExceptionDetails.Exception)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				for _, a := range ev.Args {
					fmt.Fprintf(problems, "console.error: %s\n", a.Value)
				}
			}
		}
	})
	if err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx, problems
}

// TestGraphiQLInChromium opens GraphiQL in headless Chromium against the
// demo gateway, checks it renders with no script error (its assets come
// from the binary; the page's CSP forbids anything else), runs the
// prefilled query and reads the answer in the result pane: the demo's
// instances.
func TestGraphiQLInChromium(t *testing.T) {
	ctx, problems := browser(t)
	base, logs := testutil.StartDemoGateway(t, "-log-level", "debug")

	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/graphql"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-container")),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
		chromedp.Poll[chromedp.Void](`(() => { const r = document.querySelector('.result-window'); return !!r && r.innerText.includes('integrationPackInstances'); })()`,
			chromedp.WithPollingTimeout(30*time.Second)),
	)
	var result string
	if err == nil {
		result, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".result-window")))
	}
	if err != nil {
		t.Fatalf("GraphiQL in Chromium: %v\npage problems:\n%s\ngateway log:\n%s", err, problems.String(), logs.String())
	}
	if !strings.Contains(result, `"data"`) || strings.Contains(result, `"errors"`) {
		t.Errorf("result pane:\n%s\nwant data and no errors", result)
	}
	// The prefilled query shows the demo's data, not an empty list: an
	// instance with its pack. (The pane draws only the lines in view, so
	// it is not counted here; gateway's TestGraphiQLQueryShowsData does.)
	if !strings.Contains(result, `"installationType"`) {
		t.Errorf("result pane:\n%s\nwant the demo's instances with their packs", result)
	}
	if p := problems.String(); p != "" {
		t.Errorf("the page reported problems:\n%s", p)
	}
	// A header deleted in the Headers editor is not sent: without the demo
	// token the gateway answers 401.
	var second string
	_, err = chromedp.Run(ctx, chromedp.Evaluate[any](`(() => {
		const cm = document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').CodeMirror;
		if (!cm.getValue().includes('Authorization')) throw new Error('not the Headers editor: ' + cm.getValue());
		cm.setValue('{"SPACE_GUID": "demo-space"}');
		return true;
	})()`))
	if err == nil {
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
			chromedp.Poll[chromedp.Void](`(() => { const r = document.querySelector('.result-window'); return !!r && r.innerText.includes('UNAUTHORIZED'); })()`,
				chromedp.WithPollingTimeout(20*time.Second)),
		)
	}
	if err == nil {
		second, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".result-window")))
	}
	if err != nil {
		t.Fatalf("after deleting Authorization in the Headers editor: %v\nresult pane: %s\ngateway log:\n%s", err, second, logs.String())
	}

	// The query went through the gateway with the demo space's headers.
	if !regexp.MustCompile(`"msg":"request".*"space":"demo-space","operation":"instances","operation_type":"query","outcome":"ok"`).MatchString(logs.String()) {
		t.Errorf("no request line for GraphiQL's query in the log:\n%s", logs.String())
	}
}
