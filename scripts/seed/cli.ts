import { parseArgs } from 'node:util';
import { seedDatabase } from './seed';
import { errorMessage } from '../../core/errors';

const usage = `Usage: npm run seed -- [--gigs 5000] [--assets 20000] [--staff 500] [--seed 42] [--scale N] [--demo] --db-url postgresql://…

Seeds an empty database with one production company (festivals and tours 5–8 levels deep,
serialized assets in cases, plans, crew and ~11 movements per asset), a second small company,
and the demo logins. --scale multiplies gigs, assets and staff. --demo loads the small demo set.
The database URL can also come from SUPABASE_DB_URL.`;

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number, got "${value}"`);
  return n;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        gigs: { type: 'string' },
        assets: { type: 'string' },
        staff: { type: 'string' },
        seed: { type: 'string' },
        scale: { type: 'string' },
        demo: { type: 'boolean', default: false },
        'db-url': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const dbUrl = values['db-url'] ?? process.env['SUPABASE_DB_URL'];
  if (dbUrl === undefined || dbUrl === '') {
    process.stderr.write(`--db-url (or SUPABASE_DB_URL) is required; "npm run backend" prints its dbUrl.\n\n${usage}\n`);
    return 2;
  }
  try {
    const scale = positiveInt(values.scale, '--scale', 1);
    const base = values.demo ? { gigs: 80, assets: 400, staff: 12 } : { gigs: 5000, assets: 20000, staff: 500 };
    const summary = await seedDatabase(dbUrl, {
      gigs: positiveInt(values.gigs, '--gigs', base.gigs) * scale,
      assets: positiveInt(values.assets, '--assets', base.assets) * scale,
      staff: positiveInt(values.staff, '--staff', base.staff) * scale,
      seed: positiveInt(values.seed, '--seed', 42),
      progress: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(
      `seeded ${summary.gigs} gigs (largest tree ${summary.largestTreeNodes}, ${summary.maxDepth} levels), ${summary.assets} assets, ` +
        `${summary.staff} staff, ${summary.movements} movements in ${summary.seconds.toFixed(1)} s\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`seed failed: ${errorMessage(error)}\n`);
    return 1;
  }
}

void main().then((code) => process.exit(code));
