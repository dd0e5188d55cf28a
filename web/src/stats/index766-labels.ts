import type { Lang } from './url-state';

/**
 * The labels of the Decision 766 view, in its own chunk with the view (the page's first view does
 * not carry them); the tab's name and the view's heading are the page's (labels.ts). The English
 * table has the Vietnamese one's type, so a label missing in either language fails the type check.
 */
const vi = {
  index766Caption: (units: number, computedMax: number) =>
    `${units} đơn vị, xếp hạng theo tổng điểm tính được từ dữ liệu (các tiêu chí tính được chiếm ${computedMax}/100 điểm), bên cạnh điểm Cổng Dịch vụ công quốc gia công bố`,
  groupMax: (max: string) => `tối đa ${max}`,
  computed: 'Tính được',
  publishedScore: 'Công bố',
  total766: 'Tổng điểm',
  differencePoints: 'Chênh lệch',
  publishedRank: 'Hạng công bố',
  notComputed: 'không tính được',
  partlyComputed: (covered: string, max: string) => `chỉ tính được các tiêu chí chiếm ${covered}/${max} điểm`,
  differenceOfGroup: (d: string) => `công bố lệch ${d} điểm so với điểm tính được`,
  index766Reading:
    'Chênh lệch = điểm công bố − điểm tính được. Tổng điểm tính được không phải điểm trên thang 100: nó chỉ gồm các tiêu chí dữ liệu cho phép tính. '
    + 'Chỉ nhóm tính được đầy đủ mới so sánh ngang nhau với điểm công bố (Δ là chênh lệch thật); nhóm đánh dấu * chỉ tính được một phần, nhóm "không tính được" không có điểm nào được suy đoán.',
  provisionalWeights: 'Cách chia điểm giữa các tiêu chí trong một nhóm là tạm thời (chưa đối chiếu được với phụ lục của Quyết định).',
  notSupportedCaption: (points: string) => `Tiêu chí không tính được từ dữ liệu (${points} điểm) và lý do`,
  criterion: 'Tiêu chí',
  group: 'Nhóm',
  maxPoints: 'Điểm tối đa',
  reason: 'Lý do',
  index766Chart: (when: string) => `Điểm tính được theo nhóm và tổng điểm công bố, ${when}`,
  index766ChartDescription: (units: number, computedMax: string) =>
    `${units} đơn vị theo thứ tự hạng tính được; mỗi thanh là điểm tính được, chia theo nhóm; hình thoi là tổng điểm công bố (thang 100); đường đứt nét: ${computedMax} điểm, phần tính được. Số liệu đầy đủ ở bảng phía trên.`,
  computedMaxLine: (max: string) => `Phần tính được: ${max} điểm`,
  chartFailed: 'Không vẽ được biểu đồ; số liệu có trong bảng phía trên.',
  publishedDiamond: 'Hình thoi: tổng điểm công bố',
};

export type Index766Labels = typeof vi;

const en: Index766Labels = {
  index766Caption: (units: number, computedMax: number) =>
    `${units} units ranked by the points computed from the data (the computable criteria are worth ${computedMax} of 100 points), beside the national portal's published scores`,
  groupMax: (max: string) => `max ${max}`,
  computed: 'Computed',
  publishedScore: 'Published',
  total766: 'Total',
  differencePoints: 'Difference',
  publishedRank: 'Published rank',
  notComputed: 'not computed',
  partlyComputed: (covered: string, max: string) => `only criteria worth ${covered} of ${max} points computed`,
  differenceOfGroup: (d: string) => `the published score differs by ${d} points from the computed one`,
  index766Reading:
    'Difference = published − computed. The computed total is not a score out of 100: it covers only the criteria the data allows. '
    + 'Only a fully computed group compares like for like with the published score (Δ is a real difference); a group marked * is computed in part, and nothing is guessed for a group "not computed".',
  provisionalWeights: "The split of a group's points between its criteria is provisional (not yet checked against the decision's appendix).",
  notSupportedCaption: (points: string) => `Criteria the data cannot compute (${points} points), and why`,
  criterion: 'Criterion',
  group: 'Group',
  maxPoints: 'Max points',
  reason: 'Reason',
  index766Chart: (when: string) => `Computed points by group and the published total, ${when}`,
  index766ChartDescription: (units: number, computedMax: string) =>
    `${units} units in computed rank order; each bar is the computed points, split by group; a diamond is the published total (of 100); dashed line: ${computedMax} points, the computable part. Every figure is in the table above.`,
  computedMaxLine: (max: string) => `Computable part: ${max} points`,
  chartFailed: 'The chart could not be drawn; its figures are in the table above.',
  publishedDiamond: 'Diamond: published total',
};

export const INDEX766_LABELS: Record<Lang, Index766Labels> = { vi, en };
