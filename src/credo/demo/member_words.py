"""The demo members' names as a Thai, Chinese or English reader knows them, and the contact
point each gives at admission; and what demo people write in a dispute and members answer, in
the person's language. Data only, self-contained tables: `credo.demo.seed` passes the
names to `admit_members`, so they are on the log like every member's.

Each row is ``id: (Thai, Simplified Chinese, Traditional Chinese)``; the English name is the
member's name of record in `credo.demo.cast`.
"""

from __future__ import annotations

import hashlib

MEMBER_WORDS: dict[str, tuple[str, str, str]] = {
    # government
    "city-registry": ("สำนักทะเบียนเมือง", "城市户籍登记处", "城市戶籍登記處"),
    "revenue-department": ("กรมสรรพากร", "税务厅", "稅務廳"),
    "social-security-office": ("สำนักงานประกันสังคม", "社会保障办公室", "社會保障辦公室"),
    "land-department": ("กรมที่ดิน", "土地厅", "土地廳"),
    "transport-department": ("กรมการขนส่งทางบก", "陆路交通厅", "陸路交通廳"),
    "city-library": ("ห้องสมุดประชาชนเมือง", "城市公共图书馆", "城市公共圖書館"),
    "district-pathum-wan": ("สำนักงานเขตปทุมวัน", "巴吞旺区办事处", "巴吞旺區辦事處"),
    "district-bang-rak": ("สำนักงานเขตบางรัก", "挽叻区办事处", "挽叻區辦事處"),
    "district-chatuchak": ("สำนักงานเขตจตุจักร", "乍都乍区办事处", "乍都乍區辦事處"),
    "housing-authority": ("การเคหะแห่งชาติ", "国家住房局", "國家住房局"),
    "labour-department": ("กรมการจัดหางาน", "就业厅", "就業廳"),
    "consumer-protection": (
        "สำนักงานคณะกรรมการคุ้มครองผู้บริโภค",
        "消费者保护委员会办公室",
        "消費者保護委員會辦公室",
    ),
    "volunteer-bureau": ("สำนักงานอาสาสมัครเมือง", "城市志愿者服务局", "城市志願者服務局"),
    "statistics-office": ("สำนักงานสถิติแห่งชาติ", "国家统计局", "國家統計局"),
    # university
    "state-university": ("มหาวิทยาลัยรัฐ", "国立大学", "國立大學"),
    "chao-phraya-university": ("มหาวิทยาลัยเจ้าพระยา", "湄南河大学", "湄南河大學"),
    "siam-technology-institute": ("สถาบันเทคโนโลยีสยาม", "暹罗理工学院", "暹羅理工學院"),
    "rattanakosin-university": ("มหาวิทยาลัยรัตนโกสินทร์", "拉达那哥欣大学", "拉達那哥欣大學"),
    "northern-university": ("มหาวิทยาลัยที่สูงภาคเหนือ", "北部高地大学", "北部高地大學"),
    "andaman-university": ("มหาวิทยาลัยชายฝั่งอันดามัน", "安达曼海岸大学", "安達曼海岸大學"),
    "open-university": ("มหาวิทยาลัยสุโขทัยธรรมาธิราช", "素可泰开放大学", "素可泰開放大學"),
    "lanna-college": ("วิทยาลัยศิลปะล้านนา", "兰纳艺术学院", "蘭納藝術學院"),
    "bangkok-business-school": ("โรงเรียนธุรกิจกรุงเทพ", "曼谷商学院", "曼谷商學院"),
    "pearl-river-university": ("มหาวิทยาลัยแม่น้ำจูเจียง", "珠江大学", "珠江大學"),
    "yangtze-polytechnic": ("สถาบันโพลีเทคนิคแยงซี", "长江理工学院", "長江理工學院"),
    "city-community-college": ("วิทยาลัยชุมชนเมือง", "城市社区学院", "城市社區學院"),
    "royal-nursing-college": ("วิทยาลัยพยาบาลหลวง", "皇家护理学院", "皇家護理學院"),
    "international-college": ("วิทยาลัยนานาชาติแห่งอ่าวไทย", "海湾国际学院", "海灣國際學院"),
    # bank
    "first-bank": ("ธนาคารเฟิร์สซิตี้", "第一城市银行", "第一城市銀行"),
    "siam-savings-bank": ("ธนาคารออมทรัพย์สยาม", "暹罗储蓄银行", "暹羅儲蓄銀行"),
    "krung-trade-bank": ("ธนาคารกรุงการค้า", "京都贸易银行", "京都貿易銀行"),
    "golden-lotus-bank": ("ธนาคารบัวทอง", "金莲花银行", "金蓮花銀行"),
    "harbour-bank": ("ธนาคารพาณิชย์ท่าเรือ", "港湾商业银行", "港灣商業銀行"),
    "rice-farmers-bank": (
        "ธนาคารเพื่อการเกษตรและสหกรณ์",
        "农业与合作社银行",
        "農業與合作社銀行",
    ),
    "jade-dragon-bank": ("ธนาคารมังกรหยก", "玉龙银行", "玉龍銀行"),
    "orchid-credit-union": ("สหกรณ์เครดิตกล้วยไม้", "兰花信用合作社", "蘭花信用合作社"),
    "metro-microfinance": ("ไมโครไฟแนนซ์นครหลวง", "都市小额信贷", "都市小額信貸"),
    "pacific-rim-bank": ("ธนาคารแปซิฟิกริม", "环太平洋银行", "環太平洋銀行"),
    "silk-road-bank": ("ธนาคารเส้นทางสายไหม", "丝路银行", "絲路銀行"),
    "teachers-savings-coop": ("สหกรณ์ออมทรัพย์ครู", "教师储蓄合作社", "教師儲蓄合作社"),
    "city-postal-bank": ("ออมทรัพย์ไปรษณีย์เมือง", "城市邮政储蓄", "城市郵政儲蓄"),
    "mekong-bank": ("ธนาคารพัฒนาแม่โขง", "湄公河开发银行", "湄公河開發銀行"),
    "sunrise-digital-bank": ("ธนาคารดิจิทัลซันไรส์", "朝阳数字银行", "朝陽數位銀行"),
    "union-commercial-bank": ("ธนาคารยูเนียนพาณิชย์", "联合商业银行", "聯合商業銀行"),
    # hospital
    "city-hospital": ("โรงพยาบาลกลางเมือง", "城市总医院", "城市總醫院"),
    "riverside-hospital": ("โรงพยาบาลริมน้ำ", "河畔医院", "河畔醫院"),
    "chulalak-hospital": ("โรงพยาบาลจุฬาลักษณ์อนุสรณ์", "朱拉拉纪念医院", "朱拉拉紀念醫院"),
    "north-district-clinic": ("คลินิกเขตเหนือ", "北区诊所", "北區診所"),
    "childrens-hospital": (
        "โรงพยาบาลเด็กสมเด็จพระนางเจ้าสิริกิติ์", "诗丽吉王后儿童医院", "詩麗吉王后兒童醫院"
    ),
    "bang-na-hospital": ("โรงพยาบาลบางนา", "挽那医院", "挽那醫院"),
    "lotus-womens-hospital": ("โรงพยาบาลสตรีโลตัส", "莲花妇女医院", "蓮花婦女醫院"),
    "eye-hospital": ("โรงพยาบาลตาเมือง", "城市眼科医院", "城市眼科醫院"),
    "dental-centre": ("ศูนย์ทันตกรรมสไมล์", "微笑牙科中心", "微笑牙科中心"),
    "harmony-clinic": ("คลินิกครอบครัวฮาร์โมนี", "和谐家庭诊所", "和諧家庭診所"),
    "red-cross-centre": ("ศูนย์บริการโลหิตกาชาด", "红十字血液中心", "紅十字血液中心"),
    "sino-thai-hospital": ("โรงพยาบาลจีน-ไทย", "中泰医院", "中泰醫院"),
    "samitivej-clinic": ("คลินิกสมิติเวชสุขุมวิท", "是拉差素坤逸诊所", "是拉差素坤逸診所"),
    "provincial-hospital": ("โรงพยาบาลจังหวัดนนทบุรี", "暖武里府医院", "暖武里府醫院"),
    # automotive
    "siam-motors": ("สยามมอเตอร์", "暹罗汽车", "暹羅汽車"),
    "eastern-auto": ("อีสเทิร์นซีบอร์ดออโต้เวิร์กส์", "东部海岸汽车厂", "東部海岸汽車廠"),
    "great-wall-thai": ("เกรท วอลล์ มอเตอร์ ประเทศไทย", "长城汽车泰国", "長城汽車泰國"),
    "byd-auto-thai": ("บีวายดี ออโต้ ประเทศไทย", "比亚迪汽车泰国", "比亞迪汽車泰國"),
    "toyota-dealers": ("สมาคมผู้จำหน่ายโตโยต้า", "丰田经销商协会", "豐田經銷商協會"),
    "honda-motorcycles": ("ศูนย์รถจักรยานยนต์ฮอนด้า", "本田摩托车中心", "本田機車中心"),
    "volt-ev": ("บริษัทโวลต์อีวี", "伏特电动车公司", "伏特電動車公司"),
    "tuk-tuk-works": ("โรงงานตุ๊กตุ๊ก", "嘟嘟车工坊", "嘟嘟車工坊"),
    "city-car-care": ("ศูนย์บริการรถยนต์เมือง", "城市汽车保养服务", "城市汽車保養服務"),
    "mg-motor-thai": ("เอ็มจี มอเตอร์ ประเทศไทย", "名爵汽车泰国", "名爵汽車泰國"),
    "chery-motors": ("เชอรี่มอเตอร์กรุงเทพ", "奇瑞汽车曼谷", "奇瑞汽車曼谷"),
    "rayong-assembly": ("โรงประกอบรถยนต์ระยอง", "罗勇汽车装配厂", "羅勇汽車裝配廠"),
    # energy
    "solar-siam": ("โซลาร์สยาม", "暹罗太阳能", "暹羅太陽能"),
    "gulf-power": ("กัลฟ์เอนเนอร์ยีซัพพลาย", "海湾能源供应", "海灣能源供應"),
    "metro-gas": ("ก๊าซนครหลวง", "都市燃气", "都市燃氣"),
    "green-grid": ("สหกรณ์กรีนกริด", "绿色电网合作社", "綠色電網合作社"),
    "provincial-electricity": ("การไฟฟ้าส่วนภูมิภาค", "地方电力局", "地方電力局"),
    "petro-siam": ("ปิโตรสยามรีเทลเอนเนอร์ยี", "暹罗石油零售能源", "暹羅石油零售能源"),
    "windfarm-korat": ("ฟาร์มกังหันลมโคราช", "呵叻风电场", "呵叻風電場"),
    "charge-point-thai": ("ชาร์จพอยต์ประเทศไทย", "充电桩泰国", "充電樁泰國"),
    "rooftop-solar-coop": ("สหกรณ์โซลาร์รูฟท็อป", "屋顶太阳能合作社", "屋頂太陽能合作社"),
    "lanna-hydro": ("ล้านนาพลังน้ำ", "兰纳水电", "蘭納水電"),
    # utility
    "power-co": ("การไฟฟ้าและประปาเมือง", "城市水电公司", "城市水電公司"),
    "metro-water": ("การประปานครหลวง", "都市自来水厂", "都市自來水廠"),
    "city-waste": ("บริการจัดเก็บขยะเมือง", "城市垃圾服务", "城市垃圾服務"),
    "true-fibre": ("ทรูไฟเบอร์บรอดแบนด์", "真光纤宽带", "真光纖寬頻"),
    "siam-mobile": ("สยามโมบาย", "暹罗移动", "暹羅行動"),
    "district-cooling": ("บริษัทระบบความเย็นเขต", "区域供冷公司", "區域供冷公司"),
    "north-water": ("การประปาภาคเหนือ", "北部水务局", "北部水務局"),
    "cable-city": ("เคเบิลซิตี้เน็ตเวิร์กส์", "城市有线网络", "城市有線網路"),
    # transport
    "citybikes": ("ซิตี้ไบค์", "城市单车", "城市單車"),
    "green-wheels": ("กรีนวีลส์ จักรยานสาธารณะ", "绿轮共享单车", "綠輪共享單車"),
    "riverbikes": ("จักรยานริมน้ำ", "河畔单车", "河畔單車"),
    "metro-rail": ("รถไฟฟ้ามหานคร", "地铁", "地鐵"),
    "skytrain": ("บริษัทรถไฟฟ้าบีทีเอส", "轻轨公司", "輕軌公司"),
    "city-bus": ("บริษัทรถโดยสารเมือง", "城市公交公司", "城市公車公司"),
    "chao-phraya-express": ("เรือด่วนเจ้าพระยา", "湄南河快船", "湄南河快船"),
    "campus-bikes": ("จักรยานในมหาวิทยาลัย", "校园单车", "校園單車"),
    "e-scoot": ("อีสกู๊ต สกู๊ตเตอร์ไฟฟ้า", "电动滑板车易行", "電動滑板車易行"),
    "airport-link": ("แอร์พอร์ต เรล ลิงก์", "机场快线", "機場快線"),
    "taxi-cooperative": ("สหกรณ์ผู้ขับแท็กซี่", "出租车司机合作社", "計程車司機合作社"),
    "songthaew-lines": ("สายรถสองแถว", "双条车线路", "雙條車路線"),
    # hotel
    "hotel-association": ("สมาคมโรงแรมเมือง", "城市酒店协会", "城市飯店協會"),
    "riverside-grand": ("โรงแรมริเวอร์ไซด์แกรนด์", "河畔大酒店", "河畔大飯店"),
    "orchid-palace": ("โรงแรมออร์คิดพาเลซ", "兰花宫酒店", "蘭花宮飯店"),
    "lotus-inn": ("โลตัสอินน์", "莲花旅馆", "蓮花旅館"),
    "silom-suites": ("สีลมสวีท", "是隆套房酒店", "是隆套房飯店"),
    "old-town-guesthouse": ("เกสต์เฮาส์เมืองเก่า", "老城旅舍", "老城旅舍"),
    "sukhumvit-residence": ("สุขุมวิทเรสซิเดนซ์", "素坤逸公寓酒店", "素坤逸公寓飯店"),
    "jade-garden-hotel": ("โรงแรมสวนหยก", "玉园酒店", "玉園飯店"),
    "backpackers-hostel": ("ข้าวสารแบ็กแพ็กเกอร์", "考山背包客旅舍", "考山背包客旅舍"),
    "beach-resort-hua-hin": ("หัวหินบีชรีสอร์ต", "华欣海滩度假村", "華欣海灘度假村"),
    "chiang-mai-lodge": ("เชียงใหม่เมาน์เทนลอดจ์", "清迈山居酒店", "清邁山居飯店"),
    "airport-hotel": ("โรงแรมสนามบินทรานซิต", "机场中转酒店", "機場轉機飯店"),
    "mandarin-court": ("โรงแรมแมนดารินคอร์ต", "文华苑酒店", "文華苑飯店"),
    "teak-house": ("บูติกโฮเทลบ้านไม้สัก", "柚木屋精品酒店", "柚木屋精品飯店"),
    "canal-view-hotel": ("โรงแรมวิวคลอง", "运河景酒店", "運河景飯店"),
    "city-hostel": ("บ้านพักเยาวชนเมือง", "城市青年旅舍", "城市青年旅舍"),
    "golden-mile-hotel": ("โรงแรมโกลเด้นไมล์", "金里酒店", "金里飯店"),
    "pattaya-bay-hotel": ("โรงแรมพัทยาเบย์", "芭提雅湾酒店", "芭達雅灣飯店"),
    # retail
    "high-street-traders": ("ผู้ค้าถนนสายหลัก", "大街商户", "大街商戶"),
    "chinatown-merchants": ("สมาคมพ่อค้าเยาวราช", "耀华力商会", "耀華力商會"),
    "central-market": ("ตลาดสดกลาง", "中央生鲜市场", "中央生鮮市場"),
    "siam-department-store": ("ห้างสรรพสินค้าสยาม", "暹罗百货", "暹羅百貨"),
    "seven-stars-mart": ("เซเว่นสตาร์มาร์ท", "七星超市", "七星超市"),
    "bookworm-books": ("ร้านหนังสือหนอนหนังสือ", "书虫书店", "書蟲書店"),
    "rice-and-noodles": ("ร้านของชำข้าวและก๋วยเตี๋ยว", "米粉杂货店", "米粉雜貨店"),
    "night-bazaar": ("ผู้ค้าไนท์บาซาร์", "夜市商户", "夜市商戶"),
    "gadget-plaza": ("แกดเจ็ตพลาซ่า", "数码广场", "數位廣場"),
    "pharmacy-chain": ("ร้านขายยากู๊ดแคร์", "良护药房", "良護藥房"),
    "fashion-avenue": ("แฟชั่นอเวนิว", "时尚大道", "時尚大道"),
    "home-hardware": ("โฮมฮาร์ดแวร์", "家居五金", "家居五金"),
    "tea-house": ("โรงน้ำชาใบไม้ทอง", "金叶茶馆", "金葉茶館"),
    "bakery-co": ("บริษัทเบเกอรี่หวาน", "甜蜜面包公司", "甜蜜麵包公司"),
    "floating-market": ("ผู้ค้าตลาดน้ำ", "水上市场商贩", "水上市場商販"),
    "bike-shop": ("ร้านจักรยานซี่ลวดและโซ่", "辐条与链条自行车店", "輻條與鏈條自行車店"),
    "toy-town": ("เมืองของเล่น", "玩具城", "玩具城"),
    "optic-world": ("ออปติกเวิลด์", "眼镜世界", "眼鏡世界"),
    "furniture-house": ("บ้านเฟอร์นิเจอร์", "家具之家", "傢俱之家"),
    "electronics-city": ("เมืองอิเล็กทรอนิกส์", "电子城", "電子城"),
    "garden-centre": ("ศูนย์ต้นไม้กรีนธัมบ์", "绿拇指园艺中心", "綠拇指園藝中心"),
    "noodle-street": ("ศูนย์อาหารถนนก๋วยเตี๋ยว", "面条街美食广场", "麵條街美食廣場"),
    # company
    "siam-air-cargo": ("สยามแอร์คาร์โก", "暹罗航空货运", "暹羅航空貨運"),
    "city-insurance": ("ประกันภัยซิตี้มิวชวล", "城市互助保险", "城市互助保險"),
    "rideshare-co": ("บริษัทไรด์แชร์", "拼车公司", "共乘公司"),
    "delivery-hub": ("เดลิเวอรีฮับโลจิสติกส์", "配送中心物流", "配送中心物流"),
    "coworking-space": ("คลองโคเวิร์กกิ้ง", "运河共享办公", "運河共享辦公"),
    "parking-co": ("บริษัทที่จอดรถเมือง", "城市停车公司", "城市停車公司"),
    # civil society
    "rights-watch": ("เครือข่ายเฝ้าระวังสิทธิพลเมือง", "公民权利观察", "公民權利觀察"),
    "consumers-council": ("สภาผู้บริโภค", "消费者委员会", "消費者委員會"),
    "digital-rights-foundation": ("มูลนิธิสิทธิดิจิทัล", "数字权利基金会", "數位權利基金會"),
    "privacy-alliance": ("พันธมิตรความเป็นส่วนตัว", "隐私联盟", "隱私聯盟"),
    "open-data-society": ("สมาคมข้อมูลเปิด", "开放数据协会", "開放資料協會"),
    "cyclists-federation": ("สหพันธ์นักปั่นจักรยาน", "自行车骑行者联合会", "自行車騎士聯合會"),
    "tenants-union": ("สมาคมผู้เช่า", "租户协会", "租戶協會"),
    "students-council": ("สภานักศึกษา", "学生会", "學生會"),
    "elders-network": ("เครือข่ายผู้สูงอายุ", "长者网络", "長者網絡"),
    "migrant-workers-network": ("เครือข่ายแรงงานข้ามชาติ", "移民工人网络", "移民工人網絡"),
    "legal-aid-society": ("สมาคมช่วยเหลือทางกฎหมาย", "法律援助协会", "法律扶助協會"),
    "disability-alliance": ("พันธมิตรการเข้าถึงของคนพิการ", "无障碍联盟", "無障礙聯盟"),
    "womens-network": ("เครือข่ายผู้หญิง", "妇女网络", "婦女網絡"),
    "fair-credit-campaign": ("แคมเปญสินเชื่อที่เป็นธรรม", "公平信贷运动", "公平信貸運動"),
    "neighbourhood-forum": ("เวทีชุมชน", "社区论坛", "社區論壇"),
    "transparency-group": ("กลุ่มความโปร่งใส", "透明小组", "透明小組"),
    "environment-trust": ("กองทุนสิ่งแวดล้อม", "环境信托", "環境信託"),
    "youth-assembly": ("สมัชชาเยาวชน", "青年大会", "青年大會"),
}  # fmt: skip


DISPUTE_STATEMENTS: dict[str, tuple[str, str, str, str]] = {
    "th": (
        "ฉันไม่เคยมีบัญชีนี้",
        "บิลนี้จ่ายตรงเวลา วันที่ไม่ถูกต้อง",
        "นี่เป็นคนอื่นที่ชื่อเหมือนฉัน",
        "ฉันคืนจักรยานตรงเวลา แต่จุดจอดเสีย",
    ),
    "zh": (
        "我从来没有开过这个账户。",
        "这笔账单是按时缴的，日期有误。",
        "这是另一个和我同名的人。",
        "我按时还了自行车，是停车桩坏了。",
    ),
    "en": (
        "I never had this account.",
        "This bill was paid on time; the date is wrong.",
        "This was somebody else with my name.",
        "I returned the bike on time; the dock was broken.",
    ),
}
"""What a demo person writes when they dispute a record, in their own language."""

DISPUTE_ANSWERS: dict[str, str] = {
    "th": "ตรวจสอบกับเอกสารของเราแล้ว",
    "zh": "已与我们的档案核对。",
    "en": "Checked against our files.",
}
"""A member's answer to a demo dispute, in the disputing person's language."""


def names_of(member_id: str, english: str) -> dict[str, str]:
    """A demo member's names by BCP 47 tag, for ``member.admit``'s ``names``."""
    th, hans, hant = MEMBER_WORDS[member_id]
    return {"th": th, "zh-Hans": hans, "zh-Hant": hant, "en": english}


def contact_of(member_id: str) -> str:
    """A demo member's contact point: a made-up address under ``.example`` and a Bangkok
    number, derived from the id so that every run gives the same."""
    n = int.from_bytes(hashlib.sha256(member_id.encode()).digest()[:4], "big")
    return f"privacy@{member_id}.example · 02 {n % 900 + 100:03d} {n // 900 % 10000:04d}"
