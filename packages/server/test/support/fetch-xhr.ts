/**
 * The slice of XMLHttpRequest that dicomweb-client (a browser library) uses, built on Node's fetch, so
 * the client can run against Confer in tests. Install it with `installFetchXhr()`; it returns the undo.
 */
export class FetchXMLHttpRequest {
  readyState = 0;
  status = 0;
  response: unknown = null;
  responseType: '' | 'arraybuffer' | 'json' | 'text' = '';
  withCredentials = false;
  onreadystatechange: (() => void) | null = null;
  onloadstart: (() => void) | null = null;
  onloadend: (() => void) | null = null;
  onprogress: (() => void) | null = null;
  private method = 'GET';
  private url = '';
  private readonly requestHeaders = new Headers();
  private responseHeaders = new Headers();

  open(method: string, url: string): void {
    this.method = method.toUpperCase();
    this.url = url;
    this.readyState = 1;
  }

  setRequestHeader(name: string, value: string): void {
    this.requestHeaders.set(name, value);
  }

  getResponseHeader(name: string): string | null {
    return this.responseHeaders.get(name);
  }

  getAllResponseHeaders(): string {
    return [...this.responseHeaders].map(([k, v]) => `${k}: ${v}`).join('\r\n');
  }

  send(body?: ArrayBuffer | Uint8Array | string | null): void {
    this.onloadstart?.();
    const init: RequestInit = { method: this.method, headers: this.requestHeaders };
    if (body !== undefined && body !== null)
      init.body = body instanceof ArrayBuffer ? new Uint8Array(body) : body;
    void fetch(this.url, init)
      .then(async (res) => {
        this.status = res.status;
        this.responseHeaders = res.headers;
        const bytes = await res.arrayBuffer();
        const text = () => new TextDecoder().decode(bytes);
        this.response =
          this.responseType === 'arraybuffer'
            ? bytes
            : this.responseType === 'json'
              ? bytes.byteLength === 0
                ? null
                : JSON.parse(text())
              : text();
      })
      .catch(() => {
        this.status = 0;
        this.response = null;
      })
      .finally(() => {
        this.readyState = 4;
        this.onreadystatechange?.();
        this.onloadend?.();
      });
  }
}

/** Puts FetchXMLHttpRequest on globalThis (where dicomweb-client looks) and returns a function that undoes it. */
export function installFetchXhr(): () => void {
  const g = globalThis as { XMLHttpRequest?: unknown };
  const before = g.XMLHttpRequest;
  g.XMLHttpRequest = FetchXMLHttpRequest;
  return () => {
    g.XMLHttpRequest = before;
  };
}
