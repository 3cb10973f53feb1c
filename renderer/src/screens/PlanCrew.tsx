import { useId, useMemo, useState, type FormEvent } from 'react';
import type { CrewLine, GigPlan } from '../../../core/planning/plan-api';
import { Waiting } from './PlanPickList';
import type { PlanState } from './usePlan';

/** Roles a production company names most; any other can be typed. */
const COMMON_ROLES = ['Crew chief', 'Stagehand', 'Audio', 'Lighting', 'Video', 'Rigger', 'Driver', 'Runner'];

function RoleEditor({ person, edit }: { person: CrewLine; edit: PlanState['editPlan'] }) {
  const [role, setRole] = useState(person.role);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (role.trim() === person.role) return;
    void edit({ kind: 'set_role', assignmentId: person.id, role: role.trim() }, `${person.name} is now ${role.trim()}`);
  };
  return (
    <form className="crew-role" onSubmit={submit}>
      <input aria-label={`Role of ${person.name}`} value={role} maxLength={80} required onChange={(e) => setRole(e.target.value)} />
      <button type="submit" disabled={role.trim() === person.role}>
        Set
      </button>
    </form>
  );
}

function Assign({ plan, roles, edit }: { plan: GigPlan; roles: readonly string[]; edit: PlanState['editPlan'] }) {
  const [staffId, setStaffId] = useState('');
  const [role, setRole] = useState('');
  const listId = useId();
  const person = plan.staff.find((p) => p.id === staffId);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (person === undefined) return;
    void edit(
      { kind: 'assign', gigId: plan.gig.id, staffId: person.id, role: role.trim() },
      `${person.name} assigned as ${role.trim()}`,
    ).then((queued) => {
      if (!queued) return;
      setStaffId('');
      setRole('');
    });
  };
  if (plan.staff.length === 0) return <p className="muted">Everyone on the staff is on this crew.</p>;
  return (
    <form className="plan-assign" aria-label="Assign someone" onSubmit={submit}>
      <label>
        Person
        <select value={staffId} required onChange={(e) => setStaffId(e.target.value)}>
          <option value="">Choose someone…</option>
          {plan.staff.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Role
        <input list={listId} value={role} required maxLength={80} onChange={(e) => setRole(e.target.value)} />
      </label>
      <datalist id={listId}>
        {roles.map((r) => (
          <option key={r} value={r} />
        ))}
      </datalist>
      <button type="submit" className="big" disabled={person === undefined || role.trim() === ''}>
        Assign
      </button>
    </form>
  );
}

/** Who works the gig, in which role: assign from the staff, change a role, remove. */
export function PlanCrew({ plan, edit }: { plan: GigPlan; edit: PlanState['editPlan'] }) {
  const roles = useMemo(() => [...new Set([...plan.crew.map((c) => c.role), ...COMMON_ROLES])], [plan.crew]);
  return (
    <>
      {plan.crew.length === 0 ? (
        <p className="muted">Nobody is on this gig’s crew yet.</p>
      ) : (
        <ul className="plan-crew" data-testid="plan-crew">
          {plan.crew.map((person) => (
            <li key={person.id} data-testid="crew-line" data-name={person.name}>
              <span className="crew-who">
                <strong>{person.name}</strong>
                {!plan.canPlan && <span className="muted"> · {person.role}</span>}
                <Waiting waiting={person.waiting} />
              </span>
              {plan.canPlan && (
                <span className="crew-edit">
                  <RoleEditor key={person.role} person={person} edit={edit} />
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Remove ${person.name} from the crew`}
                    onClick={() => void edit({ kind: 'unassign', assignmentId: person.id }, `${person.name} removed from the crew`)}
                  >
                    Remove
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {plan.canPlan && <Assign plan={plan} roles={roles} edit={edit} />}
    </>
  );
}
