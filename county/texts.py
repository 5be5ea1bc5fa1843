"""What the county's people write about: townships' places, handling units, topics and their words.

Moved here from the cases service's former demo; the roster (who files) comes from the deputies
service now, loaded through its API (``county.people``).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.vocabulary import NotAcceptedReason

COUNTY = "990101"
COUNTY_NAME = "青山县"


@dataclass(frozen=True)
class Township:
    """A township of the demo county: its places, its deputies and its congress session."""

    code: str
    name: str
    places: tuple[str, ...]
    deputies: int  # deputies who file and receive constituents in the demo
    county_deputies: int  # the first ones also sit in the county congress
    session: tuple[int, int] | None  # (month, day) of the township congress; None: subdistrict
    session_suggestions: int  # filed at the township congress
    county_suggestions: int  # filed by its county deputies at the county congress


TOWNSHIPS = (
    Township(
        "990101001",
        "东湖镇",
        ("青石村", "湖滨村", "王家村", "桃源村", "东湖社区"),
        12,
        5,
        (1, 7),
        28,
        10,
    ),
    Township(
        "990101002",
        "石桥镇",
        ("石桥村", "下洋村", "枫林村", "马岭村", "石桥社区"),
        10,
        4,
        (1, 8),
        22,
        8,
    ),
    Township(
        "990101003", "柳溪镇", ("柳溪村", "上庄村", "竹坑村", "黄泥岭村"), 8, 3, (1, 9), 16, 5
    ),
    Township(
        "990101004",
        "城关街道",
        ("城东社区", "城西社区", "南门社区", "北山社区"),
        10,
        10,
        None,
        0,
        14,
    ),
)
SHORT_CLOCK = ("990101003", 20)
"""柳溪镇 gives units 20 days (not the default 30) to reply to constituents' opinions."""

UNITS = (
    ("traffic", "县交通运输局"),
    ("water", "县水利局"),
    ("education", "县教育局"),
    ("health", "县卫生健康局"),
    ("housing", "县住房和城乡建设局"),
    ("agriculture", "县农业农村局"),
    ("land", "县自然资源和规划局"),
    ("ecology", "县生态环境局"),
    ("civil", "县民政局"),
    ("hrss", "县人力资源和社会保障局"),
    ("market", "县市场监督管理局"),
    ("police", "县公安局"),
)
UNIT_NAMES = dict(UNITS)


@dataclass(frozen=True)
class Topic:
    """Something people raise: its category, who handles it and the words to write it with."""

    category: str
    lead: str
    co: tuple[str, ...]
    short: str
    problem: str
    impact: str
    action: str
    misroute: str | None = None  # a unit it is plausibly but wrongly assigned to first


TOPICS = (
    Topic(
        "交通出行",
        "traffic",
        ("housing",),
        "村道拓宽改造",
        "通往镇区的村道路面狭窄、坑洼不平",
        "大车会车困难，雨天积水严重，村民出行和农产品外运很不方便",
        "将该路段列入农村公路提升改造计划，拓宽路面并完善排水边沟",
    ),
    Topic(
        "交通出行",
        "traffic",
        (),
        "危桥改造",
        "村口的石拱桥建于上世纪七十年代，桥面开裂、护栏缺失",
        "学生和村民每天通行存在安全隐患",
        "尽快组织危桥检测，列入危桥改造计划并设置限载标志",
    ),
    Topic(
        "交通出行",
        "traffic",
        (),
        "城乡公交班次",
        "至县城的城乡公交班次少，末班车下午五点就停运",
        "外出务工人员和学生往返县城很不方便",
        "增加城乡公交班次，延长末班车运营时间",
    ),
    Topic(
        "交通出行",
        "police",
        ("traffic",),
        "停车难",
        "周边停车位严重不足，车辆乱停乱放",
        "早晚高峰经常堵车，影响商户经营和行人安全",
        "规划建设公共停车场，施划停车泊位并加强交通秩序管理",
        misroute="traffic",
    ),
    Topic(
        "交通出行",
        "police",
        ("education",),
        "校门口交通安全",
        "学校门口道路没有减速带和人行横道，上下学时段车流量大",
        "学生过马路存在较大安全隐患",
        "设置减速带、人行横道和警示标志，上下学高峰安排警力疏导",
    ),
    Topic(
        "饮水水利",
        "water",
        ("health",),
        "饮用水水质",
        "自来水水质不稳定，雨后经常浑浊发黄",
        "村民只能买桶装水饮用，老人和小孩饮水安全得不到保障",
        "对供水管网进行改造，加强水质检测并定期公布检测结果",
    ),
    Topic(
        "饮水水利",
        "water",
        (),
        "灌溉渠道修缮",
        "农田灌溉渠道年久失修，多处渗漏堵塞",
        "春耕用水困难，部分农田只能靠天吃饭",
        "对灌溉渠道进行清淤和防渗改造，保障农业生产用水",
    ),
    Topic(
        "饮水水利",
        "water",
        ("land",),
        "河道防洪",
        "穿村河道淤积严重，部分堤岸坍塌",
        "汛期河水漫溢，威胁两岸农田和房屋安全",
        "开展河道清淤疏浚，加固堤防并完善防汛预警设施",
    ),
    Topic(
        "饮水水利",
        "water",
        (),
        "自来水管网延伸",
        "高处的自然村至今未通自来水，仍靠山塘水和井水",
        "旱季经常断水，生活用水十分困难",
        "将供水管网延伸至高处自然村，实现自来水全覆盖",
    ),
    Topic(
        "教育",
        "education",
        ("traffic",),
        "学生上下学接送",
        "撤点并校后学生到镇中心小学就读，路途较远",
        "家长每天接送负担重，学生搭乘无资质车辆存在隐患",
        "开通校车或定制公交线路，保障学生上下学安全",
    ),
    Topic(
        "教育",
        "education",
        (),
        "乡村学校师资",
        "镇中心小学音乐、美术、体育专职教师不足",
        "部分课程由其他学科教师兼任，课程开不齐、开不足",
        "补充配备专职教师，开展城乡教师交流轮岗",
    ),
    Topic(
        "教育",
        "education",
        ("housing",),
        "公办幼儿园学位",
        "新建小区入住人口增加，附近公办幼儿园学位紧张",
        "很多适龄儿童只能到较远的民办园就读，费用负担较重",
        "扩建公办幼儿园，增加普惠性学位供给",
    ),
    Topic(
        "医疗卫生",
        "health",
        (),
        "村卫生室医生短缺",
        "村卫生室只有一名乡村医生，且年龄偏大",
        "村民看小病、配常用药都要跑到镇卫生院",
        "为村卫生室补充乡村医生，配齐常用药品和基本设备",
    ),
    Topic(
        "医疗卫生",
        "health",
        (),
        "卫生院检查设备",
        "镇卫生院缺少彩超、DR等常规检查设备",
        "群众做常规检查也要到县城医院，费用和时间成本高",
        "为卫生院添置必要的检查设备，推进县域医共体优质资源下沉",
    ),
    Topic(
        "医疗卫生",
        "health",
        ("civil",),
        "家庭医生签约服务",
        "家庭医生签约后上门服务少，慢性病随访不及时",
        "高龄老人和慢性病患者得不到持续的健康管理",
        "落实家庭医生签约服务，定期开展上门随访和健康体检",
    ),
    Topic(
        "城乡建设",
        "housing",
        (),
        "路灯损坏",
        "主干道多盏路灯损坏，长期无人维修",
        "夜间出行照明不足，容易发生跌倒和交通事故",
        "尽快修复损坏路灯，建立路灯日常巡查维护机制",
    ),
    Topic(
        "城乡建设",
        "housing",
        ("ecology",),
        "生活污水管网",
        "老街区没有污水管网，生活污水直排路边沟渠",
        "夏季臭味明显，蚊蝇滋生，严重影响居民生活",
        "实施雨污分流改造，完善生活污水收集管网",
    ),
    Topic(
        "城乡建设",
        "housing",
        (),
        "老旧小区改造",
        "老旧小区楼道破损、外墙脱落、下水管道经常堵塞",
        "居民生活不便，还存在安全隐患",
        "将该小区纳入老旧小区改造计划，同步完善消防和无障碍设施",
    ),
    Topic(
        "城乡建设",
        "land",
        ("housing",),
        "农村建房审批",
        "农村建房审批手续繁琐、办理周期长",
        "部分村民的危房无法及时翻建，居住存在安全隐患",
        "简化农村宅基地审批流程，公开办理时限并提供一站式服务",
        misroute="housing",
    ),
    Topic(
        "农业农村",
        "agriculture",
        (),
        "农技指导服务",
        "种植户缺少技术指导，病虫害防治主要靠经验",
        "去年水稻病害造成减产，农户收入受到影响",
        "组织农技人员下村开展技术培训和病虫害统防统治",
    ),
    Topic(
        "农业农村",
        "agriculture",
        ("market",),
        "农产品销售渠道",
        "高山蔬菜和茶叶销售渠道单一，价格受中间商压制",
        "丰产不丰收，种植户积极性受挫",
        "搭建电商销售平台，扶持农产品品牌建设和冷链物流",
    ),
    Topic(
        "农业农村",
        "agriculture",
        ("land",),
        "高标准农田建设",
        "部分耕地田块零散、机耕路缺失",
        "农机下不了田，种粮成本居高不下",
        "将该片区纳入高标准农田建设项目，完善机耕路和灌排设施",
    ),
    Topic(
        "农业农村",
        "agriculture",
        (),
        "乡村振兴项目运营",
        "村集体经济薄弱，乡村振兴项目缺少资金和运营人才",
        "项目建成后长期闲置，没有发挥带动作用",
        "加大对村集体经济项目的扶持，引进专业运营团队",
    ),
    Topic(
        "生态环境",
        "ecology",
        ("housing",),
        "垃圾分类清运",
        "垃圾分类设施不足，清运不及时",
        "垃圾桶经常满溢，异味扰民，分类工作推进困难",
        "增设分类收集点，提高清运频次，加强分类宣传督导",
    ),
    Topic(
        "生态环境",
        "ecology",
        (),
        "养殖场污染",
        "附近规模养殖场粪污处理不到位",
        "周边空气恶臭，污水流入河道，群众反映强烈",
        "督促养殖场完善粪污处理设施，加强执法检查",
    ),
    Topic(
        "生态环境",
        "ecology",
        ("market",),
        "夜间噪声扰民",
        "夜市和部分商户夜间经营噪声大",
        "严重影响周边居民休息",
        "加强夜间噪声监测和管理，规范经营时间",
    ),
    Topic(
        "民政养老",
        "civil",
        (),
        "居家养老服务",
        "留守老人多，居家养老服务站只挂牌不运营",
        "高龄独居老人吃饭、就医缺人照料",
        "激活养老服务站功能，开设老年食堂，提供助餐助医服务",
    ),
    Topic(
        "民政养老",
        "civil",
        ("health",),
        "敬老院提升改造",
        "镇敬老院设施陈旧，护理人员不足",
        "入住老人生活质量不高，失能老人照护困难",
        "对敬老院进行提升改造，增加护理人员配备",
    ),
    Topic(
        "民政养老",
        "civil",
        (),
        "低保动态核查",
        "个别低保对象家庭经济情况已明显好转但仍享受低保",
        "群众认为不公平，影响低保政策的公信力",
        "开展低保对象动态核查，做到应保尽保、应退尽退",
    ),
    Topic(
        "就业社保",
        "hrss",
        (),
        "农民工工资拖欠",
        "部分在建工地拖欠农民工工资",
        "农民工临近年关讨薪无门，家庭生活困难",
        "加大欠薪治理力度，落实工资保证金和实名制管理",
        misroute="housing",
    ),
    Topic(
        "就业社保",
        "hrss",
        (),
        "技能培训与就业",
        "返乡人员和农村富余劳动力缺少专业技能",
        "就业渠道窄，收入不稳定",
        "开展订单式技能培训，搭建本地就业对接平台",
    ),
    Topic(
        "就业社保",
        "hrss",
        ("health",),
        "医保缴费负担",
        "城乡居民医保个人缴费标准逐年提高",
        "部分困难家庭缴费压力大，出现断缴现象",
        "加大对困难群众参保缴费的资助力度，优化缴费方式",
    ),
    Topic(
        "市场监管",
        "market",
        (),
        "农贸市场秩序",
        "农贸市场占道经营严重，环境卫生差",
        "交通经常拥堵，食品安全难以保障",
        "对农贸市场进行升级改造，加强日常监管",
    ),
    Topic(
        "市场监管",
        "market",
        ("education",),
        "校园周边食品安全",
        "学校周边小卖部销售三无食品",
        "学生身体健康受到威胁，家长十分担心",
        "开展校园周边食品安全专项整治",
        misroute="education",
    ),
    Topic(
        "社会治安",
        "police",
        (),
        "夜间治安巡逻",
        "偏远自然村夜间治安巡逻少，近期发生多起电动车被盗",
        "村民的安全感明显下降",
        "加强夜间巡逻，在主要路口安装视频监控",
    ),
    Topic(
        "社会治安",
        "police",
        ("civil",),
        "电信诈骗防范",
        "老年人频繁接到诈骗电话，已有村民被骗",
        "老人积蓄受损，家庭矛盾增多",
        "深入村组开展反诈宣传，加强重点人群预警劝阻",
    ),
)

LEAD_INS = ("", "经走访调研发现，", "据群众反映，", "近期代表在走访中了解到，")
BACKGROUNDS = (
    "此事已多次向村（社区）反映，但一直未能得到解决。",
    "近年来随着常住人口增加，这一问题愈发突出。",
    "该问题在今年代表联系群众活动中被多名群众提及。",
    "群众对此意见较大，希望尽快得到回应。",
)
CLOSINGS = ("建议{action}。", "恳请有关部门{action}，切实解决群众的急难愁盼问题。")


def suggestion_text(topic: Topic, place: str, variant: int) -> tuple[str, str]:
    """Return the title and body of a suggestion; variants are near-paraphrases of each other."""
    title = f"关于{place}{topic.short}问题的建议"
    closing = CLOSINGS[variant % 2].format(action=topic.action)
    body = (
        f"{LEAD_INS[variant % 4]}{place}{topic.problem}，{topic.impact}。"
        f"{BACKGROUNDS[variant % 4]}{closing}"
    )
    return title, body


def opinion_text(topic: Topic, place: str, variant: int) -> tuple[str, str]:
    """Return the title and body of a constituent's opinion as the reception record puts it."""
    title = f"反映{place}{topic.short}问题"
    opener = ("来访群众反映：", "群众来访称：", "选民反映：")[variant % 3]
    body = (
        f"{opener}{place}{topic.problem}，{topic.impact}。"
        f"{BACKGROUNDS[(variant + 1) % 4]}希望{topic.action}。"
    )
    return title, body


@dataclass(frozen=True)
class Refused:
    """An item refused at triage, with the reason from the fixed list."""

    reason: NotAcceptedReason
    title: str
    content: str
    comment: str


REFUSED_SUGGESTIONS = (
    Refused(
        NotAcceptedReason.personal_matter,
        "关于解决本人子女工作安置问题的建议",
        "本人子女大学毕业已两年，至今未找到稳定工作，希望有关部门帮助安排到县属国有企业工作。",
        "属代表本人及亲属个人事务，不作为代表建议受理，已当面向代表说明。",
    ),
    Refused(
        NotAcceptedReason.judicial_case,
        "关于督促法院尽快审结一起民间借贷纠纷案的建议",
        "本村村民与他人的民间借贷纠纷案已立案一年多仍未审结，建议督促县人民法院尽快判决。",
        "涉及具体司法案件，人大不直接办理，已告知代表依法通过诉讼程序解决。",
    ),
    Refused(
        NotAcceptedReason.personal_matter,
        "关于本人承包山林补偿款问题的建议",
        "本人承包的山林被征用，补偿款标准偏低，希望提高补偿标准并尽快发放到位。",
        "属代表本人个人利益事项，不作为代表建议受理，已引导其向相关部门申请复核。",
    ),
)
REFUSED_OPINIONS = (
    Refused(
        NotAcceptedReason.in_litigation,
        "反映邻里宅基地界址纠纷",
        "来访群众称与邻居因宅基地界址发生纠纷，双方已向县人民法院起诉，请求人大出面调解。",
        "该纠纷已进入诉讼程序，不予受理，已告知来访群众依法维权。",
    ),
    Refused(
        NotAcceptedReason.outside_jurisdiction,
        "反映邻县企业排污问题",
        "来访群众称邻县一家化工企业夜间偷排废水，影响下游水质，请求查处。",
        "该企业位于邻县，不属本县管辖，已告知向企业所在地生态环境部门反映。",
    ),
    Refused(
        NotAcceptedReason.personal_matter,
        "请求调解家庭赡养纠纷",
        "来访群众称兄弟之间因赡养老人问题发生矛盾，请求代表出面协调。",
        "属家庭内部纠纷，已引导到村人民调解委员会调解。",
    ),
    Refused(
        NotAcceptedReason.empty,
        "对镇里工作有意见",
        "来访群众表示对镇里工作有意见，但未能说明具体事项和诉求。",
        "反映内容不具体，无法交办，已请群众补充具体情况后再次反映。",
    ),
)


@dataclass(frozen=True)
class Quick:
    """A question a deputy or the township staff answer on the spot at a reception day."""

    category: str
    title: str
    content: str
    answer: str


ON_THE_SPOT = (
    Quick(
        "就业社保",
        "咨询城乡居民医保缴费时间",
        "来访群众询问明年城乡居民医保的缴费时间和缴费渠道。",
        "当场答复：集中缴费期为每年9月至12月，可通过手机银行、微信或村便民服务点缴纳。",
    ),
    Quick(
        "民政养老",
        "咨询高龄津贴申领条件",
        "来访群众询问八十周岁以上老人高龄津贴的申领条件和办理地点。",
        "当场答复：年满八十周岁的本县户籍老人可持身份证、户口本到镇便民服务中心申领。",
    ),
    Quick(
        "教育",
        "咨询小学新生入学登记",
        "来访群众询问孩子今年秋季上小学需要准备哪些材料、何时登记。",
        "当场答复：新生入学登记在6月中旬进行，需准备户口本、房产证明或租房证明。",
    ),
    Quick(
        "农业农村",
        "咨询耕地地力保护补贴发放",
        "来访群众询问今年耕地地力保护补贴何时发放、标准是多少。",
        "当场答复：补贴按确权面积核定，预计下月通过“一卡通”发放到户，可到镇农业服务中心查询。",
    ),
    Quick(
        "城乡建设",
        "咨询农村危房改造申请",
        "来访群众询问农村危房改造的申请条件和补助标准。",
        "当场答复：低保户、分散供养特困人员等重点对象可向村委会提出申请，经鉴定后享受补助。",
    ),
    Quick(
        "就业社保",
        "咨询灵活就业人员参保",
        "来访群众询问灵活就业人员如何参加职工养老保险。",
        "当场答复：可持身份证到县社保服务大厅或通过线上平台办理灵活就业人员参保登记。",
    ),
)
