import { commentSegments } from '@confer/core';
import { type KeyboardEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { parseLocation } from '../app-route.ts';
import {
  annotationHref,
  type CommentView,
  collaborationApi,
  type Participant,
} from '../collaboration-api.ts';
import { canDelete, canEdit, completeMention, mentionQuery, upsertComment } from '../discussion-model.ts';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import { formatCompactTime } from '../time-format.ts';
import { ErrorNotice } from './error-notice.tsx';
import '../collaboration.css';

interface DiscussionPanelProps {
  caseId: string;
  username: string;
  /** Readers and coordinators may share the case with a colleague they mention. */
  canShare: boolean;
  nowMs: number;
  /** A consult of this case changed (heard on the discussion stream). */
  onConsultChanged?: () => void;
}

/**
 * The case's discussion: comments oldest first with the newest at the bottom, @mentions and annotation
 * links, a composer that suggests people who can see the case, and live updates from others.
 */
export function DiscussionPanel({
  caseId,
  username,
  canShare,
  nowMs,
  onConsultChanged,
}: DiscussionPanelProps) {
  const [comments, setComments] = useState<CommentView[]>([]);
  const [more, setMore] = useState(false);
  const [loadProblem, setLoadProblem] = useState<Problem | null>(null);
  const [loading, setLoading] = useState(true);
  const consultChanged = useRef(onConsultChanged);
  consultChanged.current = onConsultChanged;

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const page = await collaborationApi.comments(caseId, {}, signal);
        setComments(page.comments);
        setMore(page.more);
        setLoadProblem(null);
      } catch (error) {
        if (!signal?.aborted) setLoadProblem(toProblem(error));
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [caseId],
  );

  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    // Others' comments arrive on the case's own stream; on every (re)connection the thread is read again,
    // since comments posted while disconnected were not heard.
    const source = new EventSource(collaborationApi.streamUrl(caseId));
    let first = true;
    source.addEventListener('ready', () => {
      if (!first) void load();
      first = false;
    });
    source.addEventListener('comment', (event) => {
      try {
        const c = JSON.parse((event as MessageEvent).data) as CommentView;
        setComments((list) => upsertComment(list, c));
      } catch {
        // A malformed event is dropped; the next load shows the truth.
      }
    });
    source.addEventListener('consult', () => consultChanged.current?.());
    // Access ended while the page was open (a consult declined): stop, rather than retry into a refusal.
    source.addEventListener('revoked', () => source.close());
    return () => {
      controller.abort();
      source.close();
    };
  }, [caseId, load]);

  // A notification's link names the comment (`#/cases/<id>?comment=<n>`): bring it into view once loaded.
  const target = Number(parseLocation(window.location.hash).params.get('comment') ?? 0);
  const scrolled = useRef(false);
  useEffect(() => {
    if (scrolled.current || !target || !comments.some((c) => c.id === target)) return;
    scrolled.current = true;
    document.getElementById(`comment-${target}`)?.scrollIntoView({ block: 'center' });
  }, [comments, target]);

  async function loadOlder() {
    const first = comments[0];
    if (!first) return;
    try {
      const page = await collaborationApi.comments(caseId, { before: first.id });
      setComments((list) => [...page.comments, ...list]);
      setMore(page.more);
    } catch (error) {
      setLoadProblem(toProblem(error));
    }
  }

  return (
    <section className="panel discussion" aria-labelledby="discussion-heading">
      <h2 id="discussion-heading">Discussion</h2>
      {loadProblem && <ErrorNotice problem={loadProblem} onRetry={() => void load()} />}
      {more && (
        <button type="button" className="button button-quiet button-small" onClick={loadOlder}>
          Show older comments
        </button>
      )}
      {loading ? (
        <p role="status">Loading the discussion…</p>
      ) : comments.length === 0 ? (
        <p className="muted">No comments yet. Start the discussion below; @name mentions a colleague.</p>
      ) : (
        <ol className="comment-list" aria-live="polite">
          {comments.map((c) => (
            <CommentItem
              key={c.id}
              targeted={c.id === target}
              comment={c}
              username={username}
              nowMs={nowMs}
              onChanged={(next) => setComments((list) => upsertComment(list, next))}
            />
          ))}
        </ol>
      )}
      <Composer
        caseId={caseId}
        canShare={canShare}
        onPosted={(c) => setComments((list) => upsertComment(list, c))}
      />
    </section>
  );
}

function CommentBody({ comment }: { comment: CommentView }) {
  if (comment.body === null) return <p className="comment-body muted">Comment deleted.</p>;
  return (
    <p className="comment-body">
      {commentSegments(comment.body).map((s, i) => {
        const key = `${i}:${s.kind}`;
        if (s.kind === 'mention')
          return (
            <span key={key} className="mention">
              {s.text}
            </span>
          );
        if (s.kind === 'annotation')
          return (
            <a key={key} className="annotation-link" href={annotationHref(comment.caseId, s.annotationId)}>
              {s.text}
            </a>
          );
        return <span key={key}>{s.text}</span>;
      })}
    </p>
  );
}

function CommentItem({
  comment,
  targeted,
  username,
  nowMs,
  onChanged,
}: {
  comment: CommentView;
  targeted: boolean;
  username: string;
  nowMs: number;
  onChanged: (c: CommentView) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(comment.body ?? '');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const mine = comment.author === username;

  async function act(run: () => Promise<CommentView>) {
    setBusy(true);
    setProblem(null);
    try {
      onChanged(await run());
      setEditing(false);
      setConfirmDelete(false);
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li
      className={`comment${mine ? ' comment-mine' : ''}${targeted ? ' comment-target' : ''}`}
      id={`comment-${comment.id}`}
    >
      <div className="comment-meta">
        <span className="comment-author">{comment.authorName ?? comment.author}</span>
        {comment.authorName && <span className="muted"> @{comment.author}</span>}
        <time className="muted" dateTime={comment.createdAt} title={formatInstant(comment.createdAt)}>
          {' '}
          · {formatCompactTime(comment.createdAt, nowMs)}
        </time>
        {comment.editedAt && comment.deletedAt === null && <span className="muted"> · edited</span>}
      </div>
      {editing ? (
        <form
          className="comment-edit"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => collaborationApi.edit(comment.caseId, comment.id, draft));
          }}
        >
          <label className="visually-hidden" htmlFor={`edit-${comment.id}`}>
            Edit comment
          </label>
          <textarea
            id={`edit-${comment.id}`}
            value={draft}
            rows={3}
            maxLength={5000}
            onChange={(e) => setDraft(e.target.value)}
          />
          <div className="form-actions">
            <button type="submit" className="button button-primary button-small" disabled={busy}>
              Save
            </button>
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={() => setEditing(false)}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <CommentBody comment={comment} />
      )}
      {problem && <ErrorNotice problem={problem} />}
      {mine && !editing && comment.deletedAt === null && (
        <div className="comment-actions">
          {canEdit(comment, username, nowMs) && (
            <button
              type="button"
              className="button button-quiet button-small"
              onClick={() => {
                setDraft(comment.body ?? '');
                setEditing(true);
              }}
            >
              Edit
            </button>
          )}
          {canDelete(comment, username) &&
            (confirmDelete ? (
              <>
                <button
                  type="button"
                  className="button button-secondary button-small"
                  disabled={busy}
                  onClick={() => void act(() => collaborationApi.remove(comment.caseId, comment.id))}
                >
                  Yes, delete
                </button>
                <button
                  type="button"
                  className="button button-quiet button-small"
                  onClick={() => setConfirmDelete(false)}
                >
                  Keep it
                </button>
              </>
            ) : (
              <button
                type="button"
                className="button button-quiet button-small"
                onClick={() => setConfirmDelete(true)}
              >
                Delete
              </button>
            ))}
        </div>
      )}
    </li>
  );
}

function Composer({
  caseId,
  canShare,
  onPosted,
}: {
  caseId: string;
  canShare: boolean;
  onPosted: (c: CommentView) => void;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [cannotSee, setCannotSee] = useState<string[]>([]);
  const [suggestions, setSuggestions] = useState<Participant[]>([]);
  const [active, setActive] = useState(0);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const pending = useRef<AbortController | null>(null);
  const fieldId = useId();
  const listId = useId();

  function suggest(value: string, caret: number) {
    const query = mentionQuery(value, caret);
    pending.current?.abort();
    if (query === null) {
      setSuggestions([]);
      return;
    }
    const controller = new AbortController();
    pending.current = controller;
    collaborationApi.participants(caseId, query, controller.signal).then(
      (r) => {
        if (controller.signal.aborted) return;
        setSuggestions(r.users);
        setActive(0);
      },
      () => setSuggestions([]),
    );
  }

  function choose(p: Participant) {
    const el = textRef.current;
    const caret = el?.selectionStart ?? text.length;
    const next = completeMention(text, caret, p.username);
    setText(next.text);
    setSuggestions([]);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(next.caret, next.caret);
    });
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (suggestions.length === 0) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (a + step + suggestions.length) % suggestions.length);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      const p = suggestions[active];
      if (p) {
        e.preventDefault();
        choose(p);
      }
    } else if (e.key === 'Escape') {
      setSuggestions([]);
    }
  }

  async function post(share?: string[]) {
    if (text.trim() === '') return;
    setBusy(true);
    setProblem(null);
    try {
      onPosted(await collaborationApi.post(caseId, text, share));
      setText('');
      setCannotSee([]);
    } catch (error) {
      const p = toProblem(error);
      setProblem(p);
      const hidden = p.extensions?.cannotSee;
      setCannotSee(
        p.code === 'CONFER_ERR_MENTION_CANNOT_SEE_CASE' && Array.isArray(hidden)
          ? hidden.filter((x): x is string => typeof x === 'string')
          : [],
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void post();
      }}
    >
      <div className="field composer-field">
        <label htmlFor={fieldId}>Add a comment</label>
        <textarea
          id={fieldId}
          ref={textRef}
          value={text}
          rows={3}
          maxLength={5000}
          placeholder="@name to mention a colleague; annotation:<id> to link an annotation"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={suggestions.length > 0}
          aria-controls={listId}
          aria-activedescendant={suggestions.length > 0 ? `${listId}-${active}` : undefined}
          onChange={(e) => {
            setText(e.target.value);
            suggest(e.target.value, e.target.selectionStart);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setTimeout(() => setSuggestions([]), 150)}
        />
        {suggestions.length > 0 && (
          <div
            className="mention-suggestions"
            role="listbox"
            id={listId}
            aria-label="People who can see this case"
          >
            {suggestions.map((p, i) => (
              <div
                key={p.username}
                id={`${listId}-${i}`}
                role="option"
                tabIndex={-1}
                aria-selected={i === active}
                className={i === active ? 'is-active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  choose(p);
                }}
              >
                <strong>@{p.username}</strong>
                {p.displayName && <span className="muted"> {p.displayName}</span>}
              </div>
            ))}
          </div>
        )}
      </div>
      {problem && cannotSee.length > 0 ? (
        <div className="notice notice-warning" role="alert">
          <p className="notice-title">{cannotSee.map((n) => `@${n}`).join(', ')} cannot see this case</p>
          <p>
            They would be notified but could not read the comment.{' '}
            {canShare
              ? 'Share the case with them (they can then see it and its discussion), or remove the mention.'
              : 'Ask a reader or coordinator to share the case with them, or remove the mention.'}
          </p>
          {canShare && (
            <button
              type="button"
              className="button button-secondary"
              disabled={busy}
              onClick={() => void post(cannotSee)}
            >
              Share the case and post
            </button>
          )}
        </div>
      ) : (
        problem && <ErrorNotice problem={problem} />
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || text.trim() === ''}>
          {busy ? 'Posting…' : 'Post comment'}
        </button>
      </div>
    </form>
  );
}
