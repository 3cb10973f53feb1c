import { openGigMessageSchema } from './notification';

const GIG_ROUTE = /^#\/gigs\/([0-9a-f-]{36})$/;

/**
 * Requests to show a gig: the address the app was opened at (a tapped notification with no app
 * open) and messages from the service worker (a tapped notification with the app open).
 */
export function onOpenGig(listener: (gigId: string) => void): () => void {
  const fromAddress = (): void => {
    const gigId = GIG_ROUTE.exec(window.location.hash)?.[1];
    if (gigId === undefined) return;
    history.replaceState(null, '', window.location.pathname + window.location.search);
    listener(gigId);
  };
  const fromWorker = (event: MessageEvent): void => {
    const parsed = openGigMessageSchema.safeParse(event.data);
    if (parsed.success) listener(parsed.data.gigId);
  };
  fromAddress();
  window.addEventListener('hashchange', fromAddress);
  navigator.serviceWorker?.addEventListener('message', fromWorker);
  return () => {
    window.removeEventListener('hashchange', fromAddress);
    navigator.serviceWorker?.removeEventListener('message', fromWorker);
  };
}
