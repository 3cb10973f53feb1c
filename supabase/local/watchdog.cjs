// Reaps the local stack's children when its parent dies without cleaning up (SIGKILL, crash).
// The parent keeps this process's stdin open and writes one JSON line per child:
//   {"pid":123,"signal":"SIGTERM"}, {"postmasterPidFile":"/…/postmaster.pid"} or {"removeDir":"/tmp/…"}
// When stdin closes, every registered child still alive is signalled, and once they are gone
// the throwaway folders are removed.
'use strict';
const fs = require('node:fs');

const targets = [];
let buffered = '';

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    try {
      targets.push(JSON.parse(line));
    } catch {
      // A malformed line is ignored: the parent only writes JSON.
    }
  }
});

function postmasterPid(file) {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

process.stdin.on('end', () => {
  const signalled = [];
  for (const target of targets) {
    if (target.removeDir) continue;
    const pid = target.postmasterPidFile ? postmasterPid(target.postmasterPidFile) : target.pid;
    // SIGINT is PostgreSQL's "fast shutdown": it rolls back and exits cleanly.
    const signal = target.postmasterPidFile ? 'SIGINT' : (target.signal ?? 'SIGTERM');
    if (pid && alive(pid)) {
      try {
        process.kill(pid, signal);
        signalled.push(pid);
      } catch {
        // Already gone.
      }
    }
  }
  const deadline = Date.now() + 15000;
  const finish = () => {
    if (signalled.some(alive) && Date.now() < deadline) {
      setTimeout(finish, 100);
      return;
    }
    for (const target of targets) {
      if (target.removeDir) fs.rmSync(target.removeDir, { recursive: true, force: true });
    }
    process.exit(0);
  };
  finish();
});
