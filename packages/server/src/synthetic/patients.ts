import type { PersonName } from '../dicom/dicom-json.ts';
import { dicomDate } from './local-time.ts';
import type { Rng } from './prng.ts';
import type { SyntheticSite } from './sites.ts';

export const PatientSex = { Male: 'M', Female: 'F' } as const;
export type PatientSex = (typeof PatientSex)[keyof typeof PatientSex];

/** A synthetic patient: not a real person; names are random pairings from the lists below. */
export interface SyntheticPatient {
  /** (0010,0010) in DICOM JSON form; some carry ideographic and phonetic groups (PS3.5 6.2.1). */
  name: PersonName;
  sex: PatientSex;
  /** DA, YYYYMMDD */
  birthDate: string;
  /** MRN, unique within `issuer` */
  patientId: string;
  /** (0010,0021) the site's MRN namespace */
  issuer: string;
  /** The site that registered the patient. */
  siteId: string;
}

interface Given {
  alphabetic: string;
  ideographic?: string;
  phonetic?: string;
  sex: PatientSex;
}
interface Family {
  alphabetic: string;
  ideographic?: string;
  phonetic?: string;
}
interface Culture {
  family: Family[];
  given: Given[];
}

const m = (alphabetic: string, ideographic?: string, phonetic?: string): Given => ({
  alphabetic,
  sex: PatientSex.Male,
  ...(ideographic ? { ideographic } : {}),
  ...(phonetic ? { phonetic } : {}),
});
const f = (alphabetic: string, ideographic?: string, phonetic?: string): Given => ({
  alphabetic,
  sex: PatientSex.Female,
  ...(ideographic ? { ideographic } : {}),
  ...(phonetic ? { phonetic } : {}),
});
const fam = (alphabetic: string, ideographic?: string, phonetic?: string): Family => ({
  alphabetic,
  ...(ideographic ? { ideographic } : {}),
  ...(phonetic ? { phonetic } : {}),
});

// Common given and family names from many cultures, paired at random. Non-ASCII spellings are kept
// (Müller, Nguyễn, Ó Briain) because name matching and character sets are exactly what goes wrong.
const CULTURES: Culture[] = [
  {
    family: ['Ashworth', 'Pemberton', 'Okafor', 'Fairclough', 'Whitlock', 'Hargreaves', 'Bramley'].map((s) =>
      fam(s),
    ),
    given: [m('Oliver'), m('George'), m('Thomas'), f('Amelia'), f('Isla'), f('Harriet'), f('Grace')],
  },
  {
    family: ['Müller', 'Schäfer', 'Becker', 'Wagner', 'Köhler'].map((s) => fam(s)),
    given: [m('Jürgen'), m('Lukas'), f('Anneliese'), f('Sophie'), m('Matthias'), f('Jördis')],
  },
  {
    family: ['García', 'Fernández', 'Ruiz', 'Ortega', 'Castillo', 'Peña'].map((s) => fam(s)),
    given: [m('Mateo'), m('Alejandro'), f('Lucía'), f('Valentina'), f('Ximena'), m('Joaquín')],
  },
  {
    family: ['Adeyemi', 'Okonkwo', 'Balogun', 'Eze', 'Nwosu'].map((s) => fam(s)),
    given: [m('Chinedu'), m('Oluwaseun'), f('Ngozi'), f('Adaeze'), m('Tunde'), f('Folake')],
  },
  {
    family: ['Sharma', 'Iyer', 'Banerjee', 'Reddy', 'Chatterjee', 'Nair'].map((s) => fam(s)),
    given: [m('Arjun'), m('Rohan'), f('Priya'), f('Ananya'), f('Meera'), m('Vikram')],
  },
  {
    family: [fam('Wang', '王'), fam('Li', '李'), fam('Zhang', '张'), fam('Chen', '陈'), fam('Liu', '刘')],
    given: [m('Wei', '伟'), m('Lei', '磊'), m('Jie', '杰'), f('Fang', '芳'), f('Jing', '静'), f('Min', '敏')],
  },
  {
    family: [
      fam('Yamada', '山田', 'やまだ'),
      fam('Sato', '佐藤', 'さとう'),
      fam('Suzuki', '鈴木', 'すずき'),
      fam('Tanaka', '田中', 'たなか'),
    ],
    given: [
      m('Taro', '太郎', 'たろう'),
      m('Ken', '健', 'けん'),
      f('Hanako', '花子', 'はなこ'),
      f('Yoko', '陽子', 'ようこ'),
    ],
  },
  {
    family: ['Haddad', 'Al-Farsi', 'Nasser', 'Khalil', 'Mansour'].map((s) => fam(s)),
    given: [m('Omar'), m('Yusuf'), f('Layla'), f('Amira'), f('Noor'), m('Karim')],
  },
  {
    family: ['Nguyễn', 'Trần', 'Lê', 'Phạm'].map((s) => fam(s)),
    given: [m('Minh'), m('Quang'), f('Lan'), f('Thảo'), f('Hương'), m('Dũng')],
  },
  {
    family: ['Ó Briain', "O'Sullivan", 'Mac Giolla', 'Kowalczyk', 'Nowak', 'Lindqvist', 'Sørensen'].map((s) =>
      fam(s),
    ),
    given: [m('Seán'), m('Piotr'), f('Aoife'), f('Zofia'), f('Ingrid'), m('Øyvind'), f('Siobhán')],
  },
  {
    family: ['Ngata', 'Parata', 'Tamihana', 'Walker', 'Henare'].map((s) => fam(s)),
    given: [m('Wiremu'), m('Tane'), f('Aroha'), f('Mere'), f('Ana'), m('Rawiri')],
  },
];

/** A synthetic person's name: "Family^Given" in DICOM PN form, with the sex its given name implies. */
export function syntheticName(rng: Rng, sex?: PatientSex): { name: PersonName; sex: PatientSex } {
  const culture = rng.pick(CULTURES);
  const family = rng.pick(culture.family);
  const candidates = sex ? culture.given.filter((g) => g.sex === sex) : culture.given;
  const given = rng.pick(candidates.length > 0 ? candidates : culture.given);
  const name: PersonName = { Alphabetic: `${family.alphabetic}^${given.alphabetic}` };
  if (family.ideographic && given.ideographic)
    name.Ideographic = `${family.ideographic}^${given.ideographic}`;
  if (family.phonetic && given.phonetic) name.Phonetic = `${family.phonetic}^${given.phonetic}`;
  return { name, sex: given.sex };
}

/** A referring or reading physician: "Family^Given^^Dr" (PS3.5 6.2: prefix is the fourth component). */
export function physicianName(rng: Rng): PersonName {
  const { name } = syntheticName(rng);
  return { Alphabetic: `${name.Alphabetic}^^Dr` };
}

/**
 * A patient registered at `site`, old enough to be `minAgeYears`..`maxAgeYears` at `asOf`. The age mix
 * leans adult, as imaging volumes do, with a few children.
 */
export function generatePatient(
  rng: Rng,
  site: SyntheticSite,
  asOf: Date,
  options: { minAgeYears?: number; maxAgeYears?: number } = {},
): SyntheticPatient {
  const { name, sex } = syntheticName(rng);
  const minAge = options.minAgeYears ?? 0;
  const maxAge = options.maxAgeYears ?? 96;
  const band = rng.weighted<[number, number]>([
    [[0, 17], 0.08],
    [[18, 39], 0.22],
    [[40, 64], 0.37],
    [[65, 96], 0.33],
  ]);
  const lo = Math.max(minAge, Math.min(band[0], maxAge));
  const hi = Math.max(lo, Math.min(band[1], maxAge));
  const ageDays = Math.floor(rng.range(lo * 365.25, (hi + 1) * 365.25 - 1));
  const birth = new Date(
    Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate()) - ageDays * 86_400_000,
  );
  return {
    name,
    sex,
    birthDate: dicomDate(birth),
    patientId: `${site.idPrefix}${rng.digits(7)}`,
    issuer: site.patientIdIssuer,
    siteId: site.id,
  };
}
