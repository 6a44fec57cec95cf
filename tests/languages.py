"""Short news articles written for syndup's tests in ten languages (Latin, Cyrillic, Arabic, Han
and kana scripts): per language a story (`origin`), a different article on the same event
(`other`), and the credit line and disclaimer a republisher adds to its copy.

Written by hand for these tests (no text is taken from anywhere); `benchmarks/quality.py` builds
its multilingual families from them too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    """One language's articles: the origin, a same-event article of its own, and what a copy adds."""

    lang: str
    origin_site: str
    copy_site: str
    other_site: str
    origin: str
    other: str
    credit: str
    disclaimer: str

    def copy(self) -> str:
        """The republished copy: the origin with the credit line and the disclaimer after it."""
        return f"{self.origin}\n\n{self.credit}\n\n{self.disclaimer}"


STORIES = (
    Story(
        "en", "harbourtimes.example", "newsmirror.example", "coastpost.example",
        "Flooding closed the main coastal road near Port Ellis on Tuesday after two days of heavy rain "
        "pushed the river over its banks, forcing dozens of families to leave their homes.\n\n"
        "Emergency crews used boats to reach houses on the low-lying east side of the town, where water "
        "stood more than a metre deep by midday. No injuries were reported, the county fire service said.\n\n"
        "\"We have never seen the river rise this fast,\" said Margaret Hale, who runs a bakery on Quay "
        "Street. \"By the time we moved the ovens, the floor was already under water.\"\n\n"
        "The regional council opened the school sports hall as a shelter and asked drivers to avoid the "
        "area until engineers have inspected the bridge at Miller's Ford. Forecasters expect the rain to "
        "ease on Thursday, but warned that the river may keep rising for another day as water drains "
        "from the hills.",
        "Residents of Port Ellis began counting the cost on Wednesday as the floodwater slowly retreated "
        "from the town centre, leaving mud, ruined furniture and stranded cars behind.\n\n"
        "Shopkeepers on the harbour front said insurance claims could take months. A farmer outside the "
        "town lost forty sheep when a field turned into a lake overnight.\n\n"
        "Environmental groups blamed years of building on the flood plain and called for the old "
        "wetlands upstream to be restored. The council said a review of its defences would begin in "
        "the spring, and that volunteers had already cleared three streets.",
        "This article originally appeared on Harbour Times.",
        "The views expressed in this article do not necessarily reflect the views of News Mirror.",
    ),
    Story(
        "ru", "ria.example", "pereput.example", "vesti-sever.example",
        "Во вторник в Архангельской области из-за сильного снегопада была закрыта федеральная трасса, "
        "соединяющая областной центр с Вологдой. Сотни автомобилей оказались в пробке на несколько часов.\n\n"
        "По данным регионального управления МЧС, за сутки выпало более сорока сантиметров снега, а "
        "порывы ветра достигали двадцати метров в секунду. На трассу вышли свыше шестидесяти единиц "
        "снегоуборочной техники.\n\n"
        "«Мы развернули пункты обогрева и раздаём водителям горячий чай», — сообщил заместитель "
        "губернатора Сергей Ёлкин. По его словам, движение планируется полностью восстановить к утру "
        "среды.\n\n"
        "Синоптики предупреждают, что в ближайшие двое суток снегопад продолжится, и советуют жителям "
        "отказаться от поездок на личном транспорте без крайней необходимости.",
        "Жители Архангельска жалуются на плохую уборку улиц после рекордного снегопада: во дворах "
        "многоэтажек машины не могут выехать уже третий день.\n\n"
        "Управляющие компании объясняют задержку нехваткой дворников и тем, что вся тяжёлая техника "
        "брошена на расчистку загородных дорог. В мэрии пообещали привлечь подрядчиков из соседних "
        "районов.\n\n"
        "Тем временем в городских больницах выросло число обращений с травмами: за выходные "
        "медики приняли более ста человек, получивших переломы и ушибы на скользких тротуарах.",
        "Источник: РИА Новости",
        "Мнение автора может не совпадать с позицией редакции.",
    ),
    Story(
        "es", "efe.example", "diariosur.example", "lavoz.example",
        "Un incendio forestal obligó este lunes a desalojar a más de trescientos vecinos de dos "
        "localidades de la sierra de Gredos, en la provincia de Ávila, según informaron los servicios "
        "de emergencia de Castilla y León.\n\n"
        "Las llamas, avivadas por fuertes rachas de viento y temperaturas cercanas a los cuarenta "
        "grados, han calcinado ya unas ochocientas hectáreas de pinar y matorral. Cuatro hidroaviones "
        "y cerca de doscientos efectivos trabajan en la zona.\n\n"
        "«La situación es complicada porque el viento cambia de dirección cada pocas horas», explicó "
        "el delegado territorial de la Junta, Jesús Manuel Sánchez. Los desalojados pasaron la noche "
        "en un polideportivo de Arenas de San Pedro.\n\n"
        "La Guardia Civil investiga si el fuego se originó por una negligencia durante unas labores "
        "agrícolas en una finca cercana.",
        "Los vecinos de la sierra de Gredos critican la falta de medios para limpiar los montes antes "
        "del verano, una tarea que, según denuncian, lleva años aplazándose por falta de presupuesto.\n\n"
        "Varios alcaldes de la comarca se reunieron el martes con representantes de la Junta para "
        "exigir un plan de prevención y ayudas para los ganaderos que han perdido pastos.\n\n"
        "Los ecologistas recuerdan que el abandono rural y las olas de calor cada vez más frecuentes "
        "convierten los bosques de la meseta en un polvorín.",
        "Fuente: EFE",
        "Las opiniones expresadas en este artículo son responsabilidad exclusiva de su autor.",
    ),
    Story(
        "fr", "afp.example", "infoplus.example", "ouestjournal.example",
        "La grève des contrôleurs aériens a entraîné l'annulation de près de la moitié des vols au "
        "départ de l'aéroport de Nantes ce jeudi, a annoncé la Direction générale de l'aviation civile.\n\n"
        "Des centaines de passagers se sont retrouvés bloqués dans les halls, certains depuis l'aube. "
        "Les compagnies à bas coût ont été les plus touchées, avec des suppressions en série vers "
        "l'Espagne et le Portugal.\n\n"
        "« Nous demandons simplement des effectifs suffisants pour travailler en sécurité », a déclaré "
        "Élodie Marchand, représentante syndicale. Le ministère des Transports a proposé une réunion "
        "de concertation lundi prochain.\n\n"
        "La DGAC recommande aux voyageurs de vérifier l'état de leur vol avant de se rendre à "
        "l'aéroport et prévoit encore des perturbations vendredi.",
        "À Nantes, les hôteliers proches de l'aéroport affichent complet depuis le début du mouvement "
        "social, tandis que les taxis peinent à répondre à la demande.\n\n"
        "Plusieurs familles parties en vacances racontent avoir dormi sur des bancs, faute de solution "
        "de repli proposée par les transporteurs.\n\n"
        "Les associations de consommateurs rappellent que les passagers ont droit à une indemnisation "
        "lorsque l'annulation n'a pas été signalée au moins quatorze jours à l'avance.",
        "Source : AFP",
        "Les opinions exprimées dans cet article n'engagent que leur auteur.",
    ),
    Story(
        "de", "dpa.example", "nachrichtenportal.example", "rheinblatt.example",
        "Nach tagelangen Regenfällen ist der Rhein bei Köln über die Marke von acht Metern gestiegen. "
        "Die Stadt hat am Mittwoch die ersten mobilen Schutzwände in der Altstadt aufgebaut.\n\n"
        "Die Schifffahrt auf dem Fluss wurde zwischen Bonn und Düsseldorf vorübergehend eingestellt, "
        "teilte das Wasserstraßen- und Schifffahrtsamt mit. Mehrere Uferstraßen sind gesperrt.\n\n"
        "„Wir rechnen damit, dass der Scheitel in der Nacht zum Freitag erreicht wird“, sagte ein "
        "Sprecher der Hochwasserschutzzentrale. Anwohner in tief gelegenen Vierteln sollten Keller "
        "räumen und Fahrzeuge in Sicherheit bringen.\n\n"
        "Meteorologen erwarten erst zum Wochenende trockeneres Wetter. Auch an Mosel und Nahe "
        "steigen die Pegel weiter.",
        "Das Hochwasser am Rhein trifft die Binnenschiffer hart: Viele Frachter liegen seit Tagen "
        "fest, Lieferungen von Kohle und Getreide verzögern sich.\n\n"
        "Reedereien schätzen die Ausfälle auf mehrere Millionen Euro pro Woche. Einige Unternehmen "
        "weichen bereits auf die Bahn aus, doch dort sind die Kapazitäten knapp.\n\n"
        "Der Branchenverband fordert seit Jahren, die Fahrrinne auszubauen und die Häfen besser "
        "gegen wechselnde Wasserstände zu rüsten.",
        "Quelle: dpa",
        "Die Meinung des Autors gibt nicht unbedingt die Meinung der Redaktion wieder.",
    ),
    Story(
        "ar", "aljazeera.example", "akhbarna.example", "alwatan.example",
        "أعلنت وزارة الصحة المصرية، يوم الأحد، عن إطلاق حملة وطنية للتطعيم ضد شلل الأطفال تستهدف أكثر "
        "من أربعة عشر مليون طفل في جميع المحافظات خلال خمسة أيام.\n\n"
        "وقال المتحدث الرسمي باسم الوزارة إن الفرق الطبية ستجوب المنازل والمدارس والأسواق، وإن اللقاح "
        "سيقدم مجاناً لكل طفل دون سن الخامسة، بغض النظر عن تطعيمه في وقت سابق.\n\n"
        "وأضاف أن الحملة تأتي في إطار خطة الدولة للحفاظ على خلو البلاد من المرض، بالتعاون مع منظمة "
        "الصحة العالمية ومنظمة الأمم المتحدة للطفولة.\n\n"
        "ودعت الوزارة أولياء الأمور إلى التعاون مع الفرق الصحية والاحتفاظ ببطاقة التطعيم لتسجيل "
        "الجرعة الجديدة.",
        "اشتكى عدد من الأهالي في قرى صعيد مصر من تأخر وصول فرق التطعيم إلى مناطقهم النائية، رغم "
        "الإعلان عن بدء الحملة الوطنية منذ ثلاثة أيام.\n\n"
        "وأوضح مسؤول محلي أن سوء حالة الطرق ونقص السيارات المجهزة حالا دون الالتزام بالجدول الزمني، "
        "مؤكداً أن المديرية طلبت دعماً إضافياً من العاصمة.\n\n"
        "ويرى خبراء في الصحة العامة أن نجاح هذه الحملات يعتمد على الوصول إلى الأطفال في المناطق "
        "الأكثر فقراً، حيث تنخفض معدلات التطعيم الروتيني.",
        "المصدر: الجزيرة",
        "الآراء الواردة في المقال تعبر عن رأي كاتبها ولا تعبر بالضرورة عن موقف الموقع.",
    ),
    Story(
        "zh", "xinhua.example", "sohunews.example", "chengdudaily.example",
        "记者从四川省应急管理厅获悉，受持续强降雨影响，甘孜州部分地区昨日发生山体滑坡，"
        "一段国道被泥石流阻断，约两千名游客和司机滞留途中。\n\n"
        "当地已调集三百多名救援人员和四十台大型机械连夜抢通道路，并在附近乡镇设立临时安置点，"
        "为滞留人员提供食品、饮用水和御寒衣物。目前暂无人员伤亡报告。\n\n"
        "气象部门预计，未来三天川西高原仍有中到大雨，局部地区可能出现暴雨，"
        "提醒公众尽量避免前往山区，自驾游客出行前应及时了解路况信息。\n\n"
        "交通运输部门表示，受损路段预计在本周末前恢复单向通行。",
        "连日暴雨给川西旅游业带来不小冲击。多家旅行社表示，原定本周前往甘孜和阿坝的团队"
        "已大多取消，酒店退订率明显上升。\n\n"
        "一些民宿经营者称，正值旅游旺季，突如其来的道路中断让他们损失惨重，"
        "希望有关部门尽快出台帮扶措施。\n\n"
        "专家指出，高原山区地质条件复杂，雨季自驾游风险较高，游客应选择正规线路并购买旅行保险。",
        "来源：新华社",
        "免责声明：本文仅代表作者观点，不代表本网立场。",
    ),
    Story(
        "sr", "tanjug.example", "vestionline.example", "novosti.example",
        "Влада Србије усвојила је у четвртак нови закон о заштити животне средине, којим се "
        "пооштравају казне за загађивање река и неовлашћено одлагање отпада.\n\n"
        "Према новим правилима, предузећа која испуштају отпадне воде без пречишћавања плаћаће казне "
        "и до десет милиона динара, а општине ће морати да затворе дивље депоније у року од две године.\n\n"
        "„Ово је корак ка чистијим рекама и здравијем окружењу за наше грађане“, изјавила је "
        "министарка заштите животне средине на конференцији за новинаре у Београду.\n\n"
        "Закон ступа на снагу осам дана од објављивања у Службеном гласнику, а министарство најављује "
        "појачане инспекцијске контроле већ од пролећа.",
        "Еколошка удружења поздравила су нови закон, али упозоравају да ће његов успех зависити од "
        "тога колико ће инспектора заиста бити на терену.\n\n"
        "Становници насеља дуж Западне Мораве годинама се жале на непријатне мирисе и помор рибе, "
        "а локалне власти, кажу, ретко реагују на пријаве.\n\n"
        "Стручњаци процењују да би за изградњу постројења за пречишћавање у свим већим градовима "
        "било потребно више од милијарду евра.",
        "Извор: Танјуг",
        "Ставови изнети у тексту не одражавају нужно ставове редакције.",
    ),
    Story(
        "tr", "aa.example", "habergundem.example", "egeexpres.example",
        "İzmir'de gece saatlerinde meydana gelen 4,9 büyüklüğündeki deprem, kentte kısa süreli "
        "paniğe neden oldu. Afet ve Acil Durum Yönetimi Başkanlığı, depremin merkez üssünün Seferihisar "
        "açıkları olduğunu açıkladı.\n\n"
        "İlk belirlemelere göre can kaybı ya da ağır hasar bulunmuyor. Bazı eski binaların "
        "duvarlarında çatlaklar oluştuğu, ekiplerin sabaha kadar inceleme yaptığı bildirildi.\n\n"
        "Vali, yaptığı açıklamada vatandaşların hasarlı binalara girmemesi gerektiğini vurguladı ve "
        "okulların bir gün süreyle tatil edildiğini duyurdu.\n\n"
        "Uzmanlar, bölgede artçı sarsıntıların birkaç gün daha sürebileceği konusunda uyardı.",
        "Depremin ardından İzmir'de binaların dayanıklılığı yeniden tartışılmaya başlandı. Mühendisler "
        "odası, kentteki eski yapı stokunun acilen taranması çağrısında bulundu.\n\n"
        "Seferihisar'da bazı aileler geceyi sokakta ve araçlarında geçirdi. Belediye, parklara çadır "
        "kurarak sıcak yemek dağıttı.\n\n"
        "Bilim insanları, Ege kıyılarındaki fay hatlarının daha ayrıntılı incelenmesi gerektiğini "
        "belirtiyor.",
        "Kaynak: Anadolu Ajansı",
        "Yazının içeriğinden yazarı sorumludur.",
    ),
    Story(
        "ja", "kyodo.example", "newsmatome.example", "hokkaidoshimbun.example",
        "気象庁によると、北海道の日本海側では八日から九日にかけて記録的な大雪となり、"
        "札幌市内では一日で六十センチを超える降雪を観測した。\n\n"
        "新千歳空港では百五十便以上が欠航し、およそ一万人の利用客に影響が出た。"
        "JR北海道も特急列車を中心に運転を見合わせている。\n\n"
        "札幌市は除雪車を増やして対応しているが、住宅街の道路では渋滞が続いており、"
        "市民に対して不要不急の外出を控えるよう呼びかけた。\n\n"
        "気象庁は、十日にかけても断続的に雪が降るとして、なだれや路面の凍結に注意するよう求めている。",
        "大雪の影響で、北海道内のスーパーやコンビニでは商品の配送が遅れ、"
        "パンや牛乳の棚が空になる店舗が相次いだ。\n\n"
        "物流各社は、トラックが高速道路の通行止めで立ち往生しているとして、"
        "配達の遅れについて利用者に理解を求めている。\n\n"
        "専門家は、冬の災害に備えて数日分の食料や燃料を家庭で備蓄しておくことが大切だと話している。",
        "出典：共同通信",
        "無断転載を禁じます。",
    ),
)

LANGUAGES = tuple(s.lang for s in STORIES)


def story(lang: str) -> Story:
    """The story written in `lang`."""
    return next(s for s in STORIES if s.lang == lang)
