import { startTestStack } from '../tests/helpers/local-stack.ts';
import { createOrg } from '../tests/helpers/domain.ts';
const stack = await startTestStack();
const org = await createOrg(stack, 'xx');
const r = await org.members.admin.client.rpc('search', { query: 'ALPHA' });
console.log(r.status, r.error, r.data);
await stack.stop();
