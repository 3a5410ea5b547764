package simulator

import "fmt"

// Ids and values of the vendor's Spaces samples for process schedules and
// runs (the "Get integration pack instance processes with their schedule",
// "Update process schedule", "Get execution history" and "Execute
// process" pages), seeded so that those samples replay as documented.
const (
	DemoScheduleAtomID    = "4bcb8312-2f45-4f29-ab2d-fa20598c0a76" // processes sample
	DemoProcessTest1      = "70d36151-4070-4a92-8d00-d7c832e4caf5"
	DemoProcessTest2      = "3260ddbc-1675-4a18-9a91-ae57f3f1acaa"
	DemoUpdateAtomID      = "8fa55714-8e5e-45f1-b7e1-f57f2000f464" // schedule update sample
	DemoUpdateProcessID   = "6e79aead-40d4-422b-9037-4370a86cc2f1"
	DemoHistoryProcessID  = "dbb98f81-6914-43a2-b03f-594506940dd5" // execution history sample
	DemoExecutionRecordID = "execution-73bca62e-7bf4-4c22-bcd9-26b3ec224f37-2023.04.23"
	DemoExecutionRequest  = "executionrecord-2802cb0d-8237-4176-85cd-41abe669cdfc" // execute sample
	// The execute sample's Atom and process: the schedule update sample's,
	// as its page masks them ("xxxx"). Seeded as they are written, so that
	// the sample runs as documented.
	DemoExecuteAtomID    = "8fa55714-8e5e-45f1-xxxx-f57f2000f464"
	DemoExecuteProcessID = "6e79aead-40d4-xxxx-9037-4370a86cc2f1"
	// demoHistoryRuns more runs of the history sample's process, all
	// COMPLETE: more than one query page.
	demoHistoryRuns = 120
	// The atom the history sample's run is recorded on; the sample selects
	// atomName and atomId but does not show them (the environments sample
	// names this atom).
	demoHistoryAtomID   = "b57535c3-b650-4ef2-9430-171b9bd4c287"
	demoHistoryAtomName = "Test_atom"
)

// seedDemoRuns adds the demo account's schedules and runs.
func seedDemoRuns(s *Server) {
	// Both processes of the sample: no schedule, retried up to 5 times.
	for _, p := range []string{DemoProcessTest1, DemoProcessTest2} {
		s.AddProcessSchedules(DemoAccountID, DemoScheduleAtomID, p, nil, &ScheduleRetry{Schedule: []Schedule{}, MaxRetry: 5})
	}
	s.AddProcessSchedules(DemoAccountID, DemoUpdateAtomID, DemoUpdateProcessID, nil, &ScheduleRetry{Schedule: []Schedule{}, MaxRetry: 5})
	// The Atoms and processes that processExecute may run (REST refuses
	// unknown ones): the schedule update sample's, unmasked and as the
	// execute sample masks them. Their names are made up.
	for _, ap := range [][2]string{{DemoUpdateAtomID, DemoUpdateProcessID}, {DemoExecuteAtomID, DemoExecuteProcessID}} {
		s.AddAtom(DemoAccountID, Atom{ID: ap[0], Name: "Spaces schedules sample atom", Status: "ONLINE", Type: "ATOM"})
		s.AddProcess(DemoAccountID, Process{ID: ap[1], Name: "Spaces schedules sample process"})
	}
	s.AddExecutionRecord(DemoAccountID, ExecutionRecord{
		ExecutionID: DemoExecutionRecordID, OriginalExecutionID: DemoExecutionRecordID, Account: DemoAccountID,
		ExecutionTime: "2023-04-23T18:30:00Z", Status: "ERROR", ExecutionType: "exec_sched",
		ProcessName: "PaginationIpack14 - Thu Apr 20 2023 -Process", ProcessID: DemoHistoryProcessID,
		AtomName: demoHistoryAtomName, AtomID: demoHistoryAtomID,
		InboundDocumentCount: 1, InboundErrorDocumentCount: 1, OutboundDocumentCount: 0,
		ExecutionDuration: 5816, InboundDocumentSize: 0, OutboundDocumentSize: 0,
		Message: "No data produced from map 'mapTest', please check source profile and make sure it matches source data.",
	})
	for i := 1; i <= demoHistoryRuns; i++ {
		id := fmt.Sprintf("execution-00000000-0000-4000-8000-%012d-2023.04.2%d", i, 1+i%3)
		s.AddExecutionRecord(DemoAccountID, ExecutionRecord{
			ExecutionID: id, OriginalExecutionID: id, Account: DemoAccountID,
			ExecutionTime: fmt.Sprintf("2023-04-2%dT%02d:%02d:00Z", 1+i%3, i%24, i%60), Status: "COMPLETE", ExecutionType: "exec_sched",
			ProcessName: "PaginationIpack14 - Thu Apr 20 2023 -Process", ProcessID: DemoHistoryProcessID,
			AtomName: demoHistoryAtomName, AtomID: demoHistoryAtomID,
			InboundDocumentCount: 1, OutboundDocumentCount: 1, ExecutionDuration: Long(1000 + i),
			InboundDocumentSize: 512, OutboundDocumentSize: 256,
		})
	}
	s.QueueRequestIDs(DemoAccountID, DemoExecutionRequest)
}
