import { Rng, hash2, hashString } from './prng';
import type { ReferenceMinistry } from './reference-data.loader';
import type { Procedure, ProcedureTierName, Sector } from './simulator.types';

/**
 * The procedure catalogue: real sector names, generated procedure names and opaque codes in the
 * national style (`1.00xxxx`, `2.00xxxx`). The 25 essential services carry names modelled on
 * Đề án 06 (Decision 06/QĐ-TTg); the list is illustrative, not the official one.
 */

interface SectorTemplate extends Sector {
  readonly objects: readonly string[];
}

/** Sectors only ministries handle; appended after SECTORS so the local catalogue's draws stay as they were. */
const CENTRAL_SECTORS: readonly SectorTemplate[] = [
  { code: 'QUOCPHONG', name: 'Quốc phòng', objects: ['chế độ chính sách đối với quân nhân', 'đăng ký nghĩa vụ quân sự', 'xuất khẩu, nhập khẩu vũ khí', 'công trình quốc phòng', 'giấy phép bay', 'tìm kiếm cứu nạn'] },
  { code: 'NGOAIGIAO', name: 'Ngoại giao', objects: ['chứng nhận lãnh sự', 'hợp pháp hóa lãnh sự', 'hộ chiếu ngoại giao', 'hộ chiếu công vụ', 'hội nghị, hội thảo quốc tế', 'tổ chức phi chính phủ nước ngoài'] },
  { code: 'TAICHINH', name: 'Tài chính', objects: ['chứng chỉ hành nghề kế toán', 'kinh doanh bảo hiểm', 'chứng khoán', 'kinh doanh xổ số', 'định giá tài sản', 'dịch vụ kiểm toán'] },
  { code: 'NGANHANG', name: 'Tiền tệ và Ngân hàng', objects: ['giấy phép hoạt động ngân hàng', 'hoạt động ngoại hối', 'dịch vụ trung gian thanh toán', 'văn phòng đại diện tổ chức tín dụng nước ngoài', 'vay, trả nợ nước ngoài', 'kinh doanh vàng'] },
  { code: 'DANTOC', name: 'Công tác dân tộc và tôn giáo', objects: ['người có uy tín trong đồng bào dân tộc thiểu số', 'chính sách dân tộc', 'hoạt động tôn giáo', 'tổ chức tôn giáo', 'sinh hoạt tôn giáo tập trung', 'đào tạo chức sắc tôn giáo'] },
  { code: 'THANHTRA', name: 'Thanh tra, tiếp công dân, khiếu nại, tố cáo', objects: ['giải quyết khiếu nại', 'giải quyết tố cáo', 'tiếp công dân', 'kê khai tài sản, thu nhập', 'xử lý đơn thư', 'thanh tra chuyên ngành'] },
  { code: 'KSTTHC', name: 'Kiểm soát thủ tục hành chính', objects: ['phản ánh, kiến nghị về quy định hành chính', 'công bố thủ tục hành chính', 'cơ sở dữ liệu quốc gia về thủ tục hành chính', 'đánh giá tác động thủ tục hành chính', 'cổng dịch vụ công', 'bộ phận một cửa'] },
];

/**
 * The sectors of each ministry's own procedures. A ministry opened by the 2025 restructuring
 * owns none: it offers what its predecessors offered (world.generator.ts).
 */
const MINISTRY_SECTORS: Readonly<Record<string, readonly string[]>> = {
  BQP: ['QUOCPHONG'],
  BCA: ['XNC', 'CUTRU'],
  BNG: ['NGOAIGIAO'],
  BNV: ['NOIVU'],
  BTP: ['TUPHAP', 'CHUNGTHUC'],
  BKHDT: ['DAUTU', 'DKKD'],
  BTC: ['TAICHINH', 'THUE'],
  BCT: ['CONGTHUONG'],
  BNNPTNT: ['NONGNGHIEP'],
  BTNMT: ['TNMT', 'DATDAI'],
  BNNMT: [],
  BGTVT: ['GTVT'],
  BXD: ['XAYDUNG'],
  BTTTT: ['TTTT'],
  BKHCN: ['KHCN'],
  BLDTBXH: ['LAODONG'],
  BVHTTDL: ['VHTTDL'],
  BGDDT: ['GDDT'],
  BYT: ['YTE'],
  UBDT: ['DANTOC'],
  BDTTG: [],
  VPCP: ['KSTTHC'],
  TTCP: ['THANHTRA'],
  NHNN: ['NGANHANG'],
};

const SECTORS: readonly SectorTemplate[] = [
  { code: 'HOTICH', name: 'Hộ tịch', objects: ['khai sinh', 'khai tử', 'kết hôn', 'nhận cha, mẹ, con', 'giám hộ', 'thay đổi, cải chính hộ tịch', 'xác định lại dân tộc', 'ghi vào sổ hộ tịch việc ly hôn', 'bản sao trích lục hộ tịch', 'xác nhận tình trạng hôn nhân'] },
  { code: 'CUTRU', name: 'Cư trú', objects: ['thường trú', 'tạm trú', 'tạm vắng', 'lưu trú', 'tách hộ', 'xác nhận thông tin về cư trú', 'điều chỉnh thông tin cư trú', 'xóa đăng ký thường trú', 'gia hạn tạm trú', 'xóa đăng ký tạm trú'] },
  { code: 'DATDAI', name: 'Đất đai', objects: ['giấy chứng nhận quyền sử dụng đất', 'biến động đất đai', 'chuyển mục đích sử dụng đất', 'giao đất, cho thuê đất', 'tách thửa, hợp thửa đất', 'thế chấp quyền sử dụng đất', 'gia hạn sử dụng đất', 'đính chính giấy chứng nhận', 'cung cấp dữ liệu đất đai', 'thu hồi đất'] },
  { code: 'DAUTU', name: 'Đầu tư', objects: ['chủ trương đầu tư', 'giấy chứng nhận đăng ký đầu tư', 'dự án đầu tư', 'ưu đãi đầu tư', 'hợp đồng hợp tác kinh doanh', 'văn phòng điều hành nhà đầu tư nước ngoài', 'góp vốn, mua cổ phần', 'chuyển nhượng dự án đầu tư', 'tiến độ dự án đầu tư', 'bảo đảm thực hiện dự án'] },
  { code: 'XAYDUNG', name: 'Xây dựng', objects: ['giấy phép xây dựng', 'chứng chỉ hành nghề hoạt động xây dựng', 'báo cáo nghiên cứu khả thi', 'thiết kế xây dựng triển khai sau thiết kế cơ sở', 'chứng chỉ năng lực hoạt động xây dựng', 'giấy phép di dời công trình', 'nghiệm thu công trình', 'quy hoạch chi tiết xây dựng', 'nhà ở xã hội', 'giấy phép hoạt động xây dựng cho nhà thầu nước ngoài'] },
  { code: 'TUPHAP', name: 'Tư pháp', objects: ['phiếu lý lịch tư pháp', 'chứng chỉ hành nghề luật sư', 'văn phòng công chứng', 'tổ chức hành nghề luật sư', 'trung tâm trọng tài', 'giám định viên tư pháp', 'tổ chức đấu giá tài sản', 'thừa phát lại', 'quốc tịch Việt Nam', 'trợ giúp pháp lý'] },
  { code: 'CHUNGTHUC', name: 'Chứng thực', objects: ['bản sao từ bản chính', 'chữ ký', 'hợp đồng, giao dịch', 'chữ ký người dịch', 'văn bản thỏa thuận phân chia di sản', 'văn bản khai nhận di sản', 'di chúc', 'văn bản từ chối nhận di sản', 'hợp đồng ủy quyền', 'sửa lỗi sai sót trong hợp đồng'] },
  { code: 'GDDT', name: 'Giáo dục và Đào tạo', objects: ['trường mầm non tư thục', 'trung tâm ngoại ngữ, tin học', 'văn bằng, chứng chỉ', 'hoạt động giáo dục', 'bằng tốt nghiệp trung học phổ thông', 'học bổng chính sách', 'dạy thêm, học thêm', 'trường trung học phổ thông tư thục', 'công nhận trường đạt chuẩn quốc gia', 'du học tự túc'] },
  { code: 'YTE', name: 'Y tế', objects: ['chứng chỉ hành nghề khám bệnh, chữa bệnh', 'giấy phép hoạt động phòng khám', 'chứng chỉ hành nghề dược', 'giấy chứng nhận đủ điều kiện kinh doanh dược', 'an toàn thực phẩm', 'quảng cáo thực phẩm', 'trang thiết bị y tế', 'giấy chứng sinh', 'mỹ phẩm', 'giám định y khoa'] },
  { code: 'GTVT', name: 'Giao thông vận tải', objects: ['giấy phép lái xe', 'giấy phép kinh doanh vận tải', 'phù hiệu xe ô tô', 'đăng ký phương tiện thủy nội địa', 'giấy phép thi công công trình đường bộ', 'biển hiệu xe du lịch', 'chứng chỉ chuyên môn thuyền viên', 'giấy phép xe tập lái', 'tuyến vận tải hành khách cố định', 'bến xe khách'] },
  { code: 'LAODONG', name: 'Lao động', objects: ['trợ cấp thất nghiệp', 'giấy phép lao động cho người nước ngoài', 'nội quy lao động', 'thang lương, bảng lương', 'giấy phép cho thuê lại lao động', 'trợ cấp xã hội hằng tháng', 'người có công với cách mạng', 'hỗ trợ học nghề', 'thỏa ước lao động tập thể', 'an toàn, vệ sinh lao động'] },
  { code: 'CONGTHUONG', name: 'Công thương', objects: ['cấp điện mới từ lưới điện hạ áp', 'hợp đồng mua bán điện', 'giấy phép hoạt động điện lực', 'giấy phép kinh doanh bán lẻ rượu', 'giấy phép bán lẻ sản phẩm thuốc lá', 'cửa hàng bán lẻ xăng dầu', 'khuyến mại', 'hội chợ, triển lãm thương mại', 'giấy chứng nhận đủ điều kiện sản xuất hóa chất', 'cơ sở bán lẻ'] },
  { code: 'NONGNGHIEP', name: 'Nông nghiệp', objects: ['vệ sinh thú y', 'kiểm dịch động vật', 'giống cây trồng', 'thuốc bảo vệ thực vật', 'phân bón', 'khai thác thủy sản', 'trang trại', 'chứng chỉ hành nghề thú y', 'an toàn thực phẩm nông lâm thủy sản', 'khai thác lâm sản'] },
  { code: 'TNMT', name: 'Tài nguyên và Môi trường', objects: ['giấy phép môi trường', 'đánh giá tác động môi trường', 'giấy phép khai thác nước mặt', 'giấy phép khai thác khoáng sản', 'giấy phép xả nước thải', 'đăng ký môi trường', 'giấy phép thăm dò nước dưới đất', 'cung cấp dữ liệu tài nguyên môi trường', 'giấy phép hành nghề khoan nước dưới đất', 'đóng cửa mỏ khoáng sản'] },
  { code: 'THUE', name: 'Thuế', objects: ['khai, nộp thuế', 'lệ phí trước bạ', 'mã số thuế', 'hoàn thuế', 'miễn, giảm thuế', 'thuế sử dụng đất phi nông nghiệp', 'quyết toán thuế thu nhập cá nhân', 'hóa đơn điện tử', 'xác nhận nghĩa vụ thuế', 'gia hạn nộp thuế'] },
  { code: 'BHXH', name: 'Bảo hiểm xã hội', objects: ['thẻ bảo hiểm y tế', 'sổ bảo hiểm xã hội', 'chế độ ốm đau', 'chế độ thai sản', 'lương hưu', 'trợ cấp mai táng', 'bảo hiểm xã hội một lần', 'đóng bảo hiểm y tế theo hộ gia đình', 'chế độ tai nạn lao động', 'bảo hiểm xã hội tự nguyện'] },
  { code: 'XNC', name: 'Xuất nhập cảnh', objects: ['hộ chiếu phổ thông', 'thị thực', 'thẻ tạm trú cho người nước ngoài', 'giấy thông hành', 'thẻ thường trú', 'tạm hoãn xuất cảnh', 'giấy miễn thị thực', 'thông tin xuất nhập cảnh', 'gia hạn tạm trú người nước ngoài', 'khai báo tạm trú người nước ngoài'] },
  { code: 'DKKD', name: 'Thành lập và hoạt động doanh nghiệp', objects: ['doanh nghiệp tư nhân', 'công ty trách nhiệm hữu hạn', 'công ty cổ phần', 'hộ kinh doanh', 'chi nhánh, văn phòng đại diện', 'hợp tác xã', 'thay đổi nội dung đăng ký doanh nghiệp', 'tạm ngừng kinh doanh', 'giải thể doanh nghiệp', 'địa điểm kinh doanh'] },
  { code: 'VHTTDL', name: 'Văn hóa, Thể thao và Du lịch', objects: ['giấy phép kinh doanh karaoke', 'biểu diễn nghệ thuật', 'di tích lịch sử - văn hóa', 'lễ hội', 'cơ sở lưu trú du lịch', 'thẻ hướng dẫn viên du lịch', 'câu lạc bộ thể thao', 'quảng cáo', 'thư viện', 'giấy phép lữ hành'] },
  { code: 'KHCN', name: 'Khoa học và Công nghệ', objects: ['giấy chứng nhận doanh nghiệp khoa học và công nghệ', 'chuyển giao công nghệ', 'giấy phép tiến hành công việc bức xạ', 'chứng chỉ nhân viên bức xạ', 'hoạt động khoa học và công nghệ', 'đo lường', 'tiêu chuẩn, quy chuẩn', 'sở hữu trí tuệ', 'nhiệm vụ khoa học và công nghệ', 'mã số mã vạch'] },
  { code: 'NOIVU', name: 'Nội vụ', objects: ['thi đua, khen thưởng', 'tôn giáo, tín ngưỡng', 'hội, quỹ xã hội', 'công chức, viên chức', 'văn thư, lưu trữ', 'chính quyền địa phương', 'thanh niên', 'tổ chức bộ máy', 'đơn vị hành chính', 'cán bộ, công chức cấp xã'] },
  { code: 'TTTT', name: 'Thông tin và Truyền thông', objects: ['giấy phép xuất bản bản tin', 'trang thông tin điện tử tổng hợp', 'hoạt động in', 'triển lãm', 'điểm cung cấp dịch vụ trò chơi điện tử công cộng', 'giấy phép nhập khẩu xuất bản phẩm', 'phát hành xuất bản phẩm', 'bưu chính', 'đài truyền thanh', 'tài liệu không kinh doanh'] },
];

const ACTIONS: readonly string[] = [
  'Cấp', 'Cấp lại', 'Cấp đổi', 'Điều chỉnh', 'Gia hạn', 'Đăng ký', 'Thẩm định', 'Xác nhận', 'Công nhận', 'Thông báo', 'Chấm dứt', 'Cung cấp thông tin về',
];

/** Modelled on the 25 essential online public services of Đề án 06 (illustrative list). */
const ESSENTIAL: readonly { name: string; sector: string; tier: ProcedureTierName; eligible: boolean }[] = [
  { name: 'Đăng ký khai sinh', sector: 'HOTICH', tier: 'commune', eligible: true },
  { name: 'Đăng ký khai tử', sector: 'HOTICH', tier: 'commune', eligible: true },
  { name: 'Đăng ký kết hôn', sector: 'HOTICH', tier: 'commune', eligible: false },
  { name: 'Cấp giấy xác nhận tình trạng hôn nhân', sector: 'HOTICH', tier: 'commune', eligible: true },
  { name: 'Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi', sector: 'HOTICH', tier: 'commune', eligible: true },
  { name: 'Liên thông đăng ký khai tử, xóa đăng ký thường trú, hưởng chế độ tử tuất, trợ cấp mai táng', sector: 'HOTICH', tier: 'commune', eligible: true },
  { name: 'Đăng ký thường trú', sector: 'CUTRU', tier: 'commune', eligible: true },
  { name: 'Đăng ký tạm trú', sector: 'CUTRU', tier: 'commune', eligible: true },
  { name: 'Thông báo lưu trú', sector: 'CUTRU', tier: 'commune', eligible: true },
  { name: 'Khai báo tạm vắng', sector: 'CUTRU', tier: 'commune', eligible: true },
  { name: 'Xác nhận số Chứng minh nhân dân khi đã được cấp thẻ Căn cước công dân', sector: 'CUTRU', tier: 'district', eligible: true },
  { name: 'Cấp hộ chiếu phổ thông trong nước', sector: 'XNC', tier: 'province', eligible: true },
  { name: 'Cấp phiếu lý lịch tư pháp', sector: 'TUPHAP', tier: 'province', eligible: true },
  { name: 'Cấp đổi giấy phép lái xe do ngành Giao thông vận tải cấp', sector: 'GTVT', tier: 'province', eligible: true },
  { name: 'Đăng ký, cấp biển số xe', sector: 'GTVT', tier: 'district', eligible: false },
  { name: 'Đăng ký cấp điện mới từ lưới điện hạ áp', sector: 'CONGTHUONG', tier: 'province', eligible: true },
  { name: 'Thay đổi chủ thể hợp đồng mua bán điện', sector: 'CONGTHUONG', tier: 'province', eligible: true },
  { name: 'Giải quyết hưởng trợ cấp thất nghiệp', sector: 'LAODONG', tier: 'province', eligible: true },
  { name: 'Cấp lại, đổi thẻ bảo hiểm y tế', sector: 'BHXH', tier: 'district', eligible: true },
  { name: 'Đăng ký đóng, cấp thẻ bảo hiểm y tế cho người chỉ tham gia bảo hiểm y tế', sector: 'BHXH', tier: 'district', eligible: true },
  { name: 'Giảm trừ mức đóng bảo hiểm y tế theo hộ gia đình', sector: 'BHXH', tier: 'district', eligible: true },
  { name: 'Khai thuế, nộp thuế đối với hộ, cá nhân', sector: 'THUE', tier: 'district', eligible: true },
  { name: 'Đăng ký thành lập hộ kinh doanh', sector: 'DKKD', tier: 'district', eligible: true },
  { name: 'Đăng ký biến động quyền sử dụng đất', sector: 'DATDAI', tier: 'district', eligible: true },
  { name: 'Cấp giấy phép xây dựng nhà ở riêng lẻ', sector: 'XAYDUNG', tier: 'district', eligible: true },
];

export const ESSENTIAL_PROCEDURE_COUNT = ESSENTIAL.length;

const PROCESSING_DAYS: readonly number[] = [0, 1, 3, 5, 5, 7, 10, 10, 15, 20, 30];
const FEES: readonly number[] = [10_000, 20_000, 30_000, 50_000, 50_000, 100_000, 150_000, 200_000, 500_000, 1_000_000];

export interface Catalogue {
  readonly sectors: readonly Sector[];
  readonly procedures: readonly Procedure[];
}

function tierSuffix(tier: ProcedureTierName): string {
  return tier === 'central' ? 'cấp trung ương' : tier === 'province' ? 'cấp tỉnh' : tier === 'district' ? 'cấp huyện' : 'cấp xã';
}

/** Generates `count` procedures (essential ones included), sorted by code. */
export function generateCatalogue(seed: number, count: number): Catalogue {
  const rng = new Rng(hash2(seed, hashString('catalogue')));
  const sectors: Sector[] = SECTORS.map((s) => ({ code: s.code, name: s.name }));
  const sectorByCode = new Map(sectors.map((s) => [s.code, s]));

  interface Draft {
    name: string;
    sector: Sector;
    tier: ProcedureTierName;
    eligible: boolean;
    essential: boolean;
  }
  const drafts: Draft[] = ESSENTIAL.map((e) => ({
    name: e.name,
    sector: sectorByCode.get(e.sector) as Sector,
    tier: e.tier,
    eligible: e.eligible,
    essential: true,
  }));

  // Every (action, object) pair of every sector, shuffled, then taken round-robin across sectors
  // so small catalogues still cover all sectors.
  const essentialNames = new Set(ESSENTIAL.map((e) => e.name.toLowerCase()));
  const pools = SECTORS.map((s) => {
    const pool: string[] = [];
    for (const obj of s.objects) for (const act of ACTIONS) pool.push(`${act} ${obj}`);
    return rng.shuffle(pool);
  });
  const usedNames = new Set<string>(essentialNames);
  let round = 0;
  while (drafts.length < count) {
    const si = round % SECTORS.length;
    const pos = Math.floor(round / SECTORS.length);
    round++;
    const pool = pools[si];
    const base = pool[pos % pool.length];
    const r = rng.next();
    const tier: ProcedureTierName = r < 0.6 ? 'province' : r < 0.85 ? 'district' : 'commune';
    let name = base;
    if (usedNames.has(name.toLowerCase())) name = `${base} (${tierSuffix(tier)})`;
    let dup = 2;
    while (usedNames.has(name.toLowerCase())) name = `${base} (${tierSuffix(tier)}, trường hợp ${dup++})`;
    usedNames.add(name.toLowerCase());
    drafts.push({ name, sector: sectorByCode.get(SECTORS[si].code) as Sector, tier, eligible: rng.chance(0.85), essential: false });
  }

  // Opaque national-style codes: prefix 1 or 2, six digits, unique.
  const codes = new Set<string>();
  const withCodes = drafts.map((d) => {
    let code: string;
    do {
      const prefix = d.tier === 'province' ? (rng.chance(0.8) ? '1' : '2') : rng.chance(0.7) ? '2' : '1';
      code = `${prefix}.${String(rng.between(100, 12_999)).padStart(6, '0')}`;
    } while (codes.has(code));
    codes.add(code);
    // Zipf-like popularity over a random rank; essential services are the busiest.
    const popularity = d.essential ? 4 + rng.next() * 8 : 10 / Math.pow(1 + rng.int(count), 0.6);
    return {
      ...d,
      code,
      processingDays: rng.pick(PROCESSING_DAYS),
      fee: rng.chance(0.4) ? 0 : rng.pick(FEES),
      popularity,
    };
  });
  withCodes.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const procedures: Procedure[] = withCodes.map((d, index) => ({
    index,
    code: d.code,
    name: d.name,
    sector: d.sector,
    tier: d.tier,
    eligibleFullOnline: d.eligible,
    essential: d.essential,
    processingDays: d.processingDays,
    fee: d.fee,
    popularity: d.popularity,
    ministry: null,
  }));
  return { sectors, procedures };
}

/**
 * The ministries' central procedures, added to a local catalogue: each ministry that existed
 * before the 2025 restructuring owns a seeded number of procedures named from its sectors. They
 * draw from their own random stream and are numbered after the local ones, so the local
 * catalogue (and every province's services and dossiers) is the same with or without them.
 * Returns the whole catalogue, sorted by code.
 */
export function addCentralProcedures(seed: number, local: Catalogue, ministries: readonly ReferenceMinistry[], range: readonly [number, number]): Catalogue {
  const rng = new Rng(hash2(seed, hashString('central-catalogue')));
  const templates = new Map([...SECTORS, ...CENTRAL_SECTORS].map((s) => [s.code, s]));
  const usedCodes = new Set(local.procedures.map((p) => p.code));
  const usedNames = new Set(local.procedures.map((p) => p.name.toLowerCase()));
  const drafts: Omit<Procedure, 'index'>[] = [];
  for (const m of ministries) {
    const sectorCodes = MINISTRY_SECTORS[m.code];
    if (!sectorCodes) throw new Error(`the simulator knows no sectors for ministry ${m.code} (catalogue.generator.ts, MINISTRY_SECTORS)`);
    if (m.opened || sectorCodes.length === 0) continue;
    const count = rng.between(range[0], range[1]);
    for (let i = 0; i < count; i++) {
      const template = templates.get(sectorCodes[i % sectorCodes.length]) as SectorTemplate;
      const base = `${rng.pick(ACTIONS)} ${rng.pick(template.objects)} (${tierSuffix('central')})`;
      let name = base;
      for (let dup = 2; usedNames.has(name.toLowerCase()); dup++) name = `${base}, trường hợp ${dup}`;
      usedNames.add(name.toLowerCase());
      let code: string;
      do code = `${rng.chance(0.8) ? '1' : '2'}.${String(rng.between(100, 12_999)).padStart(6, '0')}`;
      while (usedCodes.has(code));
      usedCodes.add(code);
      drafts.push({
        code,
        name,
        sector: { code: template.code, name: template.name },
        tier: 'central',
        eligibleFullOnline: rng.chance(0.85),
        essential: false,
        processingDays: rng.pick(PROCESSING_DAYS),
        fee: rng.chance(0.4) ? 0 : rng.pick(FEES),
        popularity: 10 / Math.pow(1 + rng.int(count), 0.6),
        ministry: m.code,
      });
    }
  }
  drafts.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const central: Procedure[] = drafts.map((d, k) => ({ ...d, index: local.procedures.length + k }));
  const used = new Set(central.map((p) => p.sector.code));
  const sectors = [...local.sectors, ...CENTRAL_SECTORS.filter((s) => used.has(s.code)).map((s) => ({ code: s.code, name: s.name }))];
  const procedures = [...local.procedures, ...central].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return { sectors, procedures };
}
