package simulator

// queryObject is one object type the simulator answers QUERY (and
// queryMore) for: the one table that routing, the filter check and the
// matcher all read, so that an object added to it is served, checked and
// matched alike.
type queryObject struct {
	// props are the query properties the vendor documents for the object
	// (or the subset the gateway and its tests use); a filter on any other
	// fails, as it would there. propsOf gives exactly these keys.
	props []string
	// ordered: the comparison operators (GREATER_THAN and the like) apply,
	// as to the vendor's ExecutionRecord times; other objects take EQUALS,
	// NOT_EQUALS and LIKE only.
	ordered bool
	// rows lists account a's objects of the type, in creation order.
	rows func(a *account) []any
	// propsOf gives one object's query properties.
	propsOf func(a *account, v any) map[string]string
}

// rowsOf adapts an account's list of one type to queryObject.rows.
func rowsOf[T any](list func(a *account) []T) func(a *account) []any {
	return func(a *account) []any {
		l := list(a)
		out := make([]any, len(l))
		for i := range l {
			out[i] = l[i]
		}
		return out
	}
}

// propsOf adapts a function of one type to queryObject.propsOf.
func propsOf[T any](f func(a *account, o T) map[string]string) func(a *account, v any) map[string]string {
	return func(a *account, v any) map[string]string { return f(a, v.(T)) }
}

// documentProps are the query properties of the extension objects kept as
// documents.
func documentProps(_ *account, d document) map[string]string {
	return map[string]string{"environmentId": d.environmentID, "extensionGroupId": d.extensionGroupID}
}

// queryObjects lists every queryable object. Neither attachments nor
// instances can be queried by id, as at the vendor.
var queryObjects = map[string]queryObject{
	attachmentObject: {
		props: []string{"environmentId", "integrationPackInstanceId"},
		rows:  rowsOf(func(a *account) []Attachment { return a.attachments }),
		propsOf: propsOf(func(_ *account, o Attachment) map[string]string {
			return map[string]string{"environmentId": o.EnvironmentID, "integrationPackInstanceId": o.IntegrationPackInstanceID}
		}),
	},
	instanceObject: {
		props: []string{"integrationPackId", "integrationPackOverrideName", "integrationPackName"},
		rows:  rowsOf(func(a *account) []Instance { return a.instances }),
		propsOf: propsOf(func(a *account, o Instance) map[string]string {
			name := ""
			if p := a.findPack(o.IntegrationPackID); p >= 0 {
				name = a.packs[p].Name
			}
			return map[string]string{"integrationPackId": o.IntegrationPackID, "integrationPackOverrideName": o.IntegrationPackOverrideName, "integrationPackName": name}
		}),
	},
	environmentObject: {
		props: []string{"id", "name", "classification"},
		rows:  rowsOf(func(a *account) []Environment { return a.environments }),
		propsOf: propsOf(func(_ *account, o Environment) map[string]string {
			return map[string]string{"id": o.ID, "name": o.Name, "classification": o.Classification}
		}),
	},
	packObject: {
		props: []string{"id", "name", "installationType"},
		rows:  rowsOf(func(a *account) []IntegrationPack { return a.packs }),
		propsOf: propsOf(func(_ *account, o IntegrationPack) map[string]string {
			return map[string]string{"id": o.ID, "name": o.Name, "installationType": o.InstallationType}
		}),
	},
	atomObject: {
		props: []string{"name", "id", "hostname", "status", "type", "capabilities"},
		rows:  rowsOf(func(a *account) []Atom { return a.atoms }),
		propsOf: propsOf(func(_ *account, o Atom) map[string]string {
			return map[string]string{"name": o.Name, "id": o.ID, "hostname": o.HostName, "status": o.Status, "type": o.Type, "capabilities": ""}
		}),
	},
	envAtomObject: {
		props: []string{"atomId", "environmentId"},
		rows:  rowsOf(func(a *account) []EnvironmentAtomAttachment { return a.envAtoms }),
		propsOf: propsOf(func(_ *account, o EnvironmentAtomAttachment) map[string]string {
			return map[string]string{"atomId": o.AtomID, "environmentId": o.EnvironmentID}
		}),
	},
	processObject: {
		props: []string{"name", "id", "integrationPackId", "integrationPackInstanceId"},
		rows:  rowsOf(func(a *account) []Process { return a.processes }),
		propsOf: propsOf(func(_ *account, o Process) map[string]string {
			// A process of an installed pack belongs to one instance (its
			// id is per instance for a multi-install pack).
			p := map[string]string{"name": o.Name, "id": o.ID, "integrationPackId": "", "integrationPackInstanceId": ""}
			if len(o.IntegrationPack) > 0 {
				p["integrationPackId"] = o.IntegrationPack[0].IntegrationPackID
				p["integrationPackInstanceId"] = o.IntegrationPack[0].IntegrationPackInstanceID
			}
			return p
		}),
	},
	envExtObject: {
		props:   []string{"environmentId", "extensionGroupId"},
		rows:    rowsOf(func(a *account) []document { return a.envExtensions }),
		propsOf: propsOf(documentProps),
	},
	mapSummaryObject: {
		props:   []string{"environmentId", "extensionGroupId"},
		rows:    rowsOf(func(a *account) []document { return a.mapSummaries }),
		propsOf: propsOf(documentProps),
	},
	processSchedulesObject: {
		props: []string{"processId", "atomId"},
		rows:  rowsOf(func(a *account) []ProcessSchedules { return a.runs.schedules }),
		propsOf: propsOf(func(_ *account, o ProcessSchedules) map[string]string {
			return map[string]string{"processId": o.ProcessID, "atomId": o.AtomID}
		}),
	},
	processScheduleStatusObject: {
		props: []string{"processId", "atomId"},
		rows:  rowsOf(func(a *account) []ProcessScheduleStatus { return a.runs.statuses }),
		propsOf: propsOf(func(_ *account, o ProcessScheduleStatus) map[string]string {
			return map[string]string{"processId": o.ProcessID, "atomId": o.AtomID}
		}),
	},
	executionRecordObject: {
		props:   []string{"executionId", "originalExecutionId", "executionTime", "status", "executionType", "processName", "processId", "atomName", "atomId"},
		ordered: true,
		rows:    rowsOf(func(a *account) []ExecutionRecord { return a.runs.records }),
		propsOf: propsOf(func(_ *account, o ExecutionRecord) map[string]string {
			return map[string]string{
				"executionId": o.ExecutionID, "originalExecutionId": o.OriginalExecutionID, "executionTime": o.ExecutionTime,
				"status": o.Status, "executionType": o.ExecutionType, "processName": o.ProcessName, "processId": o.ProcessID,
				"atomName": o.AtomName, "atomId": o.AtomID,
			}
		}),
	},
}
