import './stats.page.css';
import { useState } from 'react';

/** Labels in Vietnamese (the default) and English. */
const LABELS = {
  vi: {
    title: 'Thống kê dịch vụ công trực tuyến',
    lead: 'Trang thống kê dành cho nhà báo: bảng xếp hạng, bản đồ, xu hướng và tải về CSV. Đang được xây dựng.',
    explorer: 'Mở GraphiQL',
    exportLead: 'Trong lúc chờ, tải dữ liệu các tỉnh năm 2025:',
    language: 'English',
  },
  en: {
    title: 'Online public services statistics',
    lead: 'The statistics page for journalists: ranked table, map, trends and CSV downloads. Under construction.',
    explorer: 'Open GraphiQL',
    exportLead: 'Meanwhile, download the provinces of 2025:',
    language: 'Tiếng Việt',
  },
};

type Language = keyof typeof LABELS;

/** The statistics page's shell: the domain views come next (issue 10, item 1b). */
export default function StatsPage() {
  const [lang, setLang] = useState<Language>('vi');
  const t = LABELS[lang];
  const other: Language = lang === 'vi' ? 'en' : 'vi';
  return (
    <div className="dvc-stats" lang={lang}>
      <header>
        <nav aria-label={lang === 'vi' ? 'Điều hướng' : 'Navigation'}>
          <a href="graphiql">{t.explorer}</a>
          <button type="button" onClick={() => setLang(other)} lang={other}>{t.language}</button>
        </nav>
      </header>
      <main>
        <h1>{t.title}</h1>
        <p>{t.lead}</p>
        <p>
          {t.exportLead} <a href="export/provinces.csv?year=2025">provinces.csv</a> · <a href="export/provinces.json?year=2025">provinces.json</a>
        </p>
      </main>
    </div>
  );
}
