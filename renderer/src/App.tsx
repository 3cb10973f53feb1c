import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import type { RejectedInput } from '../../core/scanner/types';
import { wedgeRejectedInWords } from '../../core/scanner/words';
import { addScan, markRefused, type RecentScan } from '../../core/scan/recent';
import type { StationInfo, SyncStatusView } from '../../core/station-api';
import { copyWords } from '../../core/sync/copy-words';
import type { StationSettings } from '../../core/station-views';
import { AssetsScreen } from './screens/AssetsScreen';
import { ConflictsScreen } from './screens/ConflictsScreen';
import type { CrewPush } from './web/crew-push';
import { GigsScreen, type GigFocus } from './screens/GigsScreen';
import { MyGigsScreen } from './screens/MyGigsScreen';
import { PlanScreen, type PlanTarget } from './screens/PlanScreen';
import { RECENT, ScanScreen } from './screens/ScanScreen';
import { ScannersScreen } from './screens/ScannersScreen';
import { SettingsScreen } from './screens/SettingsScreen';
import { SignInScreen } from './screens/SignInScreen';
import { LabelsScreen } from './screens/LabelsScreen';
import { PlacesScreen } from './screens/PlacesScreen';
import { StockTakeScreen } from './screens/StockTakeScreen';
import { SyncScreen } from './screens/SyncScreen';
import { beep, prepareAudio } from './sound';
import { errorText, useNow, useStationLists, useSyncStatus } from './station-data';
import { useKeyboardWedge } from './useKeyboardWedge';

const ALL_SCREENS = {
  mine: 'My gigs',
  scan: 'Scan',
  gigs: 'Gigs',
  assets: 'Assets',
  sync: 'Sync',
  conflicts: 'Conflicts',
  scanners: 'Scanners',
  settings: 'Settings',
  plan: 'Plan',
  stock: 'Stock-take',
  labels: 'Labels',
  places: 'Places',
} as const;
export type Screen = keyof typeof ALL_SCREENS;

/** In order: F1, F2… A phone has no scanner settings; its home is the crew member's schedule. The Plan screen opens from Gigs. */
const SCREENS: Record<'station' | 'crew', readonly Screen[]> = {
  station: ['scan', 'gigs', 'assets', 'sync', 'conflicts', 'scanners', 'settings', 'stock', 'labels', 'places'],
  crew: ['mine', 'scan', 'gigs', 'assets', 'sync', 'conflicts', 'settings', 'stock', 'labels', 'places'],
};

/**
 * The screens re-render when their own props change, not on every render of the App: each scan's
 * feedback changes App's state, and on a phone's CPU re-rendering a hidden-behind-props screen
 * (or the sign-in form) cost milliseconds per scan. Screens that show the feedback get it as a prop.
 */
const Mine = memo(MyGigsScreen);
const Scan = memo(ScanScreen);
const Gigs = memo(GigsScreen);
const Assets = memo(AssetsScreen);
const Sync = memo(SyncScreen);
const Conflicts = memo(ConflictsScreen);
const Scanners = memo(ScannersScreen);
const Settings = memo(SettingsScreen);
const Plan = memo(PlanScreen);
const StockTake = memo(StockTakeScreen);
const Labels = memo(LabelsScreen);
const Places = memo(PlacesScreen);
const SignIn = memo(SignInScreen);

type Load = { state: 'loading' } | { state: 'ready'; info: StationInfo } | { state: 'failed'; message: string };

/** The station (Electron, browser host) or the crew PWA: phones have no scanner settings page. */
export interface AppProps {
  variant?: 'station' | 'crew';
  /** The crew PWA's notifications (absent on a station). */
  push?: CrewPush;
  /** Where requests to show a gig come from (a tapped notification). */
  onOpenGig?: (listener: (gigId: string) => void) => () => void;
  /** Told whenever someone is signed in (an invite's "sign in below" has then been done). */
  onSignedIn?: () => void;
}

export function App({ variant = 'station', push, onOpenGig, onSignedIn }: AppProps) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const screens = SCREENS[variant];
  const [screen, setScreen] = useState<Screen>(screens[0] ?? 'scan');
  const [gigFocus, setGigFocus] = useState<GigFocus | null>(null);
  const [planTarget, setPlanTarget] = useState<PlanTarget | null>(null);
  /** A gig tapped in My gigs: the Scan screen brings its pick list into view (a new number each tap). */
  const [pickListFocus, setPickListFocus] = useState(0);
  const [settings, setSettings] = useState<StationSettings | null>(null);
  const [settingsError, setSettingsError] = useState<string | null>(null);
  const [recent, setRecent] = useState<readonly RecentScan[]>([]);
  const sync = useSyncStatus();
  // A station PC keeps its lists warm (screens open instantly); a phone loads them when shown.
  const fresh = useStationLists(variant === 'station' || ['gigs', 'assets', 'plan', 'sync', 'settings'].includes(screen));
  // The same object while its parts are the same: the list screens (memoised) skip a scan's re-render.
  const lists = useMemo(() => fresh, [fresh.gigs, fresh.tree, fresh.assets, fresh.loaded, fresh.error]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    let live = true;
    window.station.getInfo().then(
      (info) => live && setLoad({ state: 'ready', info }),
      (error: unknown) => live && setLoad({ state: 'failed', message: errorText(error) }),
    );
    window.station.getSettings().then(
      (value) => live && setSettings(value),
      (error: unknown) => live && setSettingsError(`Settings could not be read: ${errorText(error)}`),
    );
    return () => {
      live = false;
    };
  }, []);

  const signedIn = settings?.signedInAs != null;
  useEffect(() => {
    if (signedIn) onSignedIn?.();
  }, [signedIn, onSignedIn]);

  useEffect(
    () =>
      onOpenGig?.((gigId) => {
        setScreen('gigs');
        setGigFocus((previous) => ({ gigId, seq: (previous?.seq ?? 0) + 1 }));
      }),
    [onOpenGig],
  );

  // Feedback for every scan, whichever screen is open and whichever scanner it came from.
  useEffect(() => prepareAudio(), []);
  useEffect(
    () =>
      window.station.onScanFeedback((value) => {
        setRecent((list) => addScan(list, value, RECENT));
        beep(value.kind);
      }),
    [],
  );
  // A scan the server refuses later says so on its own entry in Recent scans.
  useEffect(() => window.station.onOpRefused((refusal) => setRecent((list) => markRefused(list, refusal))), []);

  // A keyboard-wedge scanner works on every screen (fields being typed in keep their keys). A burst
  // a person typed into, or one that stalled, is dropped whole and the operator is asked to rescan.
  const [wedgeProblem, setWedgeProblem] = useState<string | null>(null);
  const submitWedge = useCallback((code: string) => {
    setWedgeProblem(null);
    window.station
      .submitScan({ code, deviceId: 'keyboard-wedge' })
      .catch((error: unknown) => setWedgeProblem(`Scan not taken: ${errorText(error)}`));
  }, []);
  const rejectWedge = useCallback((rejected: RejectedInput) => {
    setWedgeProblem(wedgeRejectedInWords(rejected.reason));
  }, []);
  useKeyboardWedge(submitWedge, rejectWedge);
  const openPickList = useCallback(() => {
    setScreen('scan');
    setPickListFocus((n) => n + 1);
  }, []);
  const openPlan = useCallback((target: PlanTarget) => {
    setPlanTarget(target);
    setScreen('plan');
  }, []);
  // Back to Gigs with the gig just planned selected (a deleted one is simply not found there).
  const closePlan = useCallback(() => {
    const planned = planTarget?.kind === 'gig' ? planTarget.gigId : null;
    if (planned !== null) setGigFocus((previous) => ({ gigId: planned, seq: (previous?.seq ?? 0) + 1 }));
    setPlanTarget(null);
    setScreen('gigs');
  }, [planTarget]);
  const settingsSaved = useCallback((saved: StationSettings) => {
    setSettings(saved);
    setSettingsError(null);
  }, []);
  const lastFeedback = recent[0] ?? null;
  useEffect(() => {
    if (wedgeProblem === null) return;
    const timer = window.setTimeout(() => setWedgeProblem(null), 8000);
    return () => window.clearTimeout(timer);
  }, [wedgeProblem]);

  // F-keys switch screens: reachable with a scanner in one hand.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const next = screens[Number(/^F([1-9])$/.exec(event.key)?.[1] ?? 0) - 1];
      if (next === undefined) return;
      event.preventDefault();
      setScreen(next);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [screens]);

  if (load.state === 'loading') return <p className="splash">Connecting to the station…</p>;
  if (load.state === 'failed')
    return (
      <p role="alert" className="splash">
        The station did not answer: {load.message}
      </p>
    );

  const online = sync?.online ?? false;
  // The Plan screen is reached from Gigs: its tab stays lit.
  const shownTab: Screen = screen === 'plan' ? 'gigs' : screen;
  // A phone nobody is signed in on shows nothing but the sign-in (its lists would be empty).
  const signInFirst = variant === 'crew' && settings !== null && settings.signedInAs === null;
  return (
    <div className={signInFirst ? 'app signing-in' : 'app'}>
      <header className="topbar">
        <h1>
          {variant === 'crew' ? 'GigManager Crew' : 'GigManager Station'}{' '}
          <span className="station-name">{settings?.stationName ?? ''}</span>
        </h1>
        <p className={`connectivity ${online ? 'is-online' : 'is-offline'}`} role="status" aria-label="Connection">
          <span className="dot" aria-hidden="true" />
          {online ? 'Online' : 'Offline'}
          {sync !== null && <DataAge copy={sync.copy} />}
          {sync !== null && sync.depth > 0 && <span className="pill">{sync.depth} queued</span>}
        </p>
      </header>
      {/* Over the top bar, not in the flow: nothing on the Scan screen moves when it appears. */}
      {wedgeProblem !== null && (
        <p role="alert" className="wedge-alert" data-testid="wedge-rejected">
          {wedgeProblem}
        </p>
      )}
      {signInFirst && <SignIn settings={settings} onSaved={setSettings} />}
      {!signInFirst && (
        <nav className="tabs" aria-label="Screens">
          {screens.map((id, i) => (
            <button
              key={id}
              type="button"
              className={shownTab === id ? 'tab active' : 'tab'}
              aria-current={shownTab === id ? 'page' : undefined}
              onClick={() => setScreen(id)}
            >
              {ALL_SCREENS[id]}
              {id === 'conflicts' && sync !== null && sync.conflicts > 0 && <span className="badge">{sync.conflicts}</span>}
              {id === 'sync' && sync !== null && sync.quarantined > 0 && <span className="badge">{sync.quarantined}</span>}
              {/* F1–F9 only: F10 opens the window's or the browser's menu. */}
              {i < 9 && <kbd>F{i + 1}</kbd>}
            </button>
          ))}
        </nav>
      )}
      {!signInFirst && (
        <main className="screen" data-screen={screen}>
          {screen === 'mine' && <Mine onOpen={openPickList} push={push} />}
          {screen === 'scan' && <Scan recent={recent} sync={sync} camera={variant === 'crew'} pickListFocus={pickListFocus} />}
          {screen === 'gigs' && <Gigs lists={lists} focus={gigFocus} onPlan={openPlan} />}
          {screen === 'plan' && planTarget !== null && (
            <Plan target={planTarget} lists={lists} feedback={lastFeedback} onOpen={openPlan} onBack={closePlan} />
          )}
          {screen === 'assets' && <Assets lists={lists} />}
          {screen === 'sync' && <Sync sync={sync} gigs={lists.gigs} />}
          {screen === 'conflicts' && <Conflicts sync={sync} />}
          {screen === 'scanners' && <Scanners feedback={lastFeedback} />}
          {screen === 'stock' && <StockTake feedback={lastFeedback} camera={variant === 'crew'} />}
          {screen === 'labels' && <Labels />}
          {screen === 'places' && <Places />}
          {screen === 'settings' && settingsError !== null && (
            <p role="alert" className="note-error">
              {settingsError}
            </p>
          )}
          {screen === 'settings' && (
            <Settings
              key={settings === null ? 'loading' : 'ready'}
              info={load.info}
              settings={settings}
              onSaved={settingsSaved}
              gigs={lists.gigs}
            />
          )}
        </main>
      )}
    </div>
  );
}

/** How old the data is, as a time ("as of 14:32 today"): offline for days, the time is what matters. Its own clock, so the app does not re-render each minute. */
function DataAge({ copy }: { copy: SyncStatusView['copy'] }) {
  const now = useNow(30_000);
  const words = copyWords(copy, now);
  if (words.asOf === null) return null;
  return (
    <span className={`data-age data-age-${words.tone}`} data-testid="data-age" title={words.headline}>
      · {words.asOf}
    </span>
  );
}
