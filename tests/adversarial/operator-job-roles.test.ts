import { describe, expect, it } from 'vitest';
import { GIG_STATUSES } from '../../core/station-views';
import { MEMBER_ROLES, gigStatusChoices } from '../../core/sync/roles';

// Outside tester, issue 18 (role-aware screens): a station or crew phone is offered no gig status
// change, whatever the gig's status; nor is anyone before the server has said their role.
describe('role-aware gig status choices (regression)', () => {
  it('a station is offered no status change from any status; an unknown role none either', () => {
    for (const from of GIG_STATUSES) {
      expect(gigStatusChoices(from, 'station').statuses, from).toEqual([]);
      expect(gigStatusChoices(from, null).statuses, from).toEqual([]);
    }
    // Crew are hands-on too: no planning decisions.
    for (const from of GIG_STATUSES) expect(gigStatusChoices(from, 'crew').statuses, from).toEqual([]);
    expect(MEMBER_ROLES).toContain('station');
  });
});
