import type { ReactNode } from 'react';
import {
  asArray,
  asRecord,
  asStrings,
  describeActions,
  describeConditions,
  describeTarget,
  describeWorkFilter,
  formatDays,
  formatHours,
  type Json,
  type RoutingSection,
  text,
} from '../routing-sections.ts';
import type { RoutingConfigDocument } from '../worklist-model.ts';

interface SectionViewProps {
  section: RoutingSection;
  config: RoutingConfigDocument;
}

/** A name with its id beneath, as rules and rosters refer to things by id. */
function Named({ item }: { item: Json }) {
  return (
    <>
      <strong>{text(item.name) || text(item.id) || '—'}</strong>
      {text(item.name) !== '' && <code className="cell-sub uid">{text(item.id)}</code>}
    </>
  );
}

function list(values: string[]): ReactNode {
  return values.length === 0 ? <span className="muted">—</span> : values.join(', ');
}

function Table({ caption, head, children }: { caption: string; head: string[]; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable so keyboard users can scroll it sideways (WCAG 2.1.1).
    <section className="table-scroll" tabIndex={0} aria-label={caption}>
      <table className="data-table compact">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </section>
  );
}

function Empty({ what }: { what: string }) {
  return <p className="muted">No {what} in this version.</p>;
}

/** One section of the routing configuration as a table a coordinator can read. */
export function RoutingSectionView({ section, config }: SectionViewProps) {
  const items = asArray(config[section]).map(asRecord);
  const readerName = (id: string) =>
    text(
      asArray(config.readers)
        .map(asRecord)
        .find((r) => r.id === id)?.name,
    ) || id;
  const shiftName = (id: string) =>
    text(
      asArray(config.shifts)
        .map(asRecord)
        .find((s) => s.id === id)?.name,
    ) || id;

  switch (section) {
    case 'rules':
      if (items.length === 0) return <Empty what="rules" />;
      return (
        <Table
          caption="Rules, in evaluation order"
          head={['#', 'Rule', 'When', 'Target', 'Strategy', 'Also']}
        >
          {items.map((rule, index) => {
            const then = asRecord(rule.then);
            const conditions = describeConditions(rule.when);
            const disabled = rule.enabled === false;
            return (
              <tr key={text(rule.id) || index} className={disabled ? 'is-disabled' : undefined}>
                <td className="numeric">{index + 1}</td>
                <td>
                  <Named item={rule} />
                  {disabled && <span className="badge badge-muted">disabled</span>}
                  {rule.kind === 'modify' && <span className="badge">modifies</span>}
                </td>
                <td>
                  {conditions.length === 0 ? (
                    <span className="muted">Every case</span>
                  ) : (
                    <ul className="plain-list">
                      {conditions.map((c) => (
                        <li key={c}>{c}</li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>
                  {rule.kind === 'modify' ? <span className="muted">—</span> : describeTarget(then.target)}
                </td>
                <td>{text(then.strategy) || (rule.kind === 'modify' ? '—' : 'balanced')}</td>
                <td>{list(describeActions(then))}</td>
              </tr>
            );
          })}
        </Table>
      );
    case 'shifts': {
      if (items.length === 0) return <Empty what="shifts" />;
      const rosters = asArray(config.rosters).map(asRecord);
      return (
        <Table caption="Shifts" head={['Shift', 'Zone', 'Days', 'Hours', 'Covers', 'Rostered']}>
          {items.map((shift, index) => {
            const rostered = rosters
              .filter((r) => r.shiftId === shift.id)
              .map((r) => readerName(text(r.readerId)));
            return (
              <tr key={text(shift.id) || index}>
                <td>
                  <Named item={shift} />
                </td>
                <td>{text(shift.timeZone)}</td>
                <td>{formatDays(asStrings(shift.days))}</td>
                <td className="nowrap">{formatHours(text(shift.start), text(shift.end))}</td>
                <td>{describeWorkFilter(shift.covers)}</td>
                <td>{list([...new Set(rostered)])}</td>
              </tr>
            );
          })}
        </Table>
      );
    }
    case 'rosters':
      if (items.length === 0) return <Empty what="roster entries" />;
      return (
        <Table caption="Roster entries" head={['Reader', 'Shift', 'From', 'To']}>
          {items.map((entry, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: roster entries have no id of their own.
            <tr key={index}>
              <td>{readerName(text(entry.readerId))}</td>
              <td>{shiftName(text(entry.shiftId))}</td>
              <td>{text(entry.from) || '—'}</td>
              <td>{text(entry.to) || <span className="muted">open-ended</span>}</td>
            </tr>
          ))}
        </Table>
      );
    case 'readers':
      if (items.length === 0) return <Empty what="readers" />;
      return (
        <Table
          caption="Readers"
          head={[
            'Reader',
            'Sign-in',
            'Modalities',
            'Subspecialties',
            'Licences',
            'Privileges',
            'Max cases',
            'Zone',
          ]}
        >
          {items.map((reader, index) => (
            <tr
              key={text(reader.id) || index}
              className={reader.active === false ? 'is-disabled' : undefined}
            >
              <td>
                <Named item={reader} />
                {reader.active === false && <span className="badge badge-muted">inactive</span>}
              </td>
              <td>{text(reader.username) || <span className="muted">none</span>}</td>
              <td>{list(asStrings(reader.modalities))}</td>
              <td>{list(asStrings(reader.subspecialties))}</td>
              <td>{list(asArray(reader.licences).map((l) => text(asRecord(l).jurisdiction)))}</td>
              <td>{list(asArray(reader.privileges).map((p) => text(asRecord(p).siteId)))}</td>
              <td className="numeric">{text(reader.maxConcurrent) || '—'}</td>
              <td>{text(reader.timeZone) || '—'}</td>
            </tr>
          ))}
        </Table>
      );
    case 'pools':
      if (items.length === 0) return <Empty what="pools" />;
      return (
        <Table caption="Pools" head={['Pool', 'Readers']}>
          {items.map((pool, index) => (
            <tr key={text(pool.id) || index}>
              <td>
                <Named item={pool} />
              </td>
              <td>{list(asStrings(pool.readerIds).map(readerName))}</td>
            </tr>
          ))}
        </Table>
      );
    case 'sites':
      if (items.length === 0) return <Empty what="sites" />;
      return (
        <Table caption="Sites" head={['Site', 'Kind', 'Zone', 'Jurisdiction', 'Hub', 'Partner']}>
          {items.map((site, index) => (
            <tr key={text(site.id) || index}>
              <td>
                <Named item={site} />
              </td>
              <td>{text(site.kind) || '—'}</td>
              <td>{text(site.timeZone)}</td>
              <td>{text(site.jurisdiction)}</td>
              <td>{text(site.hubId) || '—'}</td>
              <td>{text(site.partnerId) || '—'}</td>
            </tr>
          ))}
        </Table>
      );
    case 'partners':
      if (items.length === 0) return <Empty what="partners" />;
      return (
        <Table caption="Partners" head={['Partner', 'Contract SLA class']}>
          {items.map((partner, index) => (
            <tr key={text(partner.id) || index}>
              <td>
                <Named item={partner} />
              </td>
              <td>{text(partner.slaClass) || '—'}</td>
            </tr>
          ))}
        </Table>
      );
    case 'sla':
      return <SlaView sla={asRecord(config.sla)} />;
    case 'workWeights': {
      const weights = Object.entries(asRecord(config.workWeights));
      if (weights.length === 0) return <p className="muted">No work weights: every case weighs 1.</p>;
      return (
        <Table caption="Work weight per modality" head={['Modality', 'Weight']}>
          {weights.map(([modality, weight]) => (
            <tr key={modality}>
              <td>{modality}</td>
              <td className="numeric">{text(weight)}</td>
            </tr>
          ))}
        </Table>
      );
    }
  }
}

function SlaView({ sla }: { sla: Json }) {
  const classes = asArray(sla.classes).map(asRecord);
  const byPriority = Object.entries(asRecord(sla.byPriority));
  const byPathway = Object.entries(asRecord(sla.byPathway));
  return (
    <>
      {classes.length === 0 ? (
        <Empty what="SLA classes" />
      ) : (
        <Table caption="SLA classes" head={['Class', 'Targets', 'Escalation']}>
          {classes.map((cls, index) => (
            <tr key={text(cls.id) || index}>
              <td>
                <Named item={cls} />
              </td>
              <td>
                <ul className="plain-list">
                  {asArray(cls.targets)
                    .map(asRecord)
                    .map((t) => (
                      <li key={`${text(t.from)}-${text(t.to)}`}>
                        {text(t.from)} → {text(t.to)}: {text(t.minutes)} min
                      </li>
                    ))}
                </ul>
              </td>
              <td>
                <ul className="plain-list">
                  {asArray(cls.escalation)
                    .map(asRecord)
                    .map((step) => (
                      <li key={`${text(step.atFraction)}-${text(step.action)}`}>
                        at {Math.round(Number(step.atFraction) * 100)}%: {text(step.action)}
                      </li>
                    ))}
                </ul>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <dl className="facts">
        <dt>Class by priority</dt>
        <dd>{byPriority.length === 0 ? '—' : byPriority.map(([p, c]) => `${p}: ${text(c)}`).join(' · ')}</dd>
        <dt>Class by pathway</dt>
        <dd>{byPathway.length === 0 ? '—' : byPathway.map(([p, c]) => `${p}: ${text(c)}`).join(' · ')}</dd>
      </dl>
    </>
  );
}
