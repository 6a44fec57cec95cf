"""What real news does to copies, each in a small corpus written here, checked through `syndup.scan`
as a user reads the tables: the relation of each pair, the clusters, the story and the origin.

The phenomena are those of issue 12: a chain of versions (write-thrus), a page carrying two stories,
a copy in site chrome with reader comments, a restyled copy, an HTML page with a year in its body,
a shared quotation, a shared table and one shared sentence. No record states a date, so the
origin comes from what the texts show.
"""

from __future__ import annotations

import re

import pandas as pd

import syndup

STRIKE = [
    "Rail workers across the north of England will walk out for three days next month after talks "
    "over pay and working conditions broke down on Tuesday evening, the RMT union said.",
    "The union said more than 4,000 guards, drivers and station staff had voted for the action, which "
    "is expected to halt most services run by Northern and TransPennine Express from 14 to 16 March.",
    "Operators said they were disappointed by the decision and urged passengers to check before they "
    "travel, warning that a reduced timetable would run on the main lines and that many rural stations "
    "would have no trains at all.",
    "The dispute began last autumn when the companies proposed changes to rosters that the union says "
    "would add weekend shifts without extra pay, while the operators argue the changes are needed to "
    "run more trains on Sundays.",
    "Talks at the conciliation service Acas had been described as constructive as recently as last "
    "week, but the union said a final offer presented on Tuesday fell well short of what its members "
    "had been led to expect.",
    "Business groups in Leeds and Manchester said the walkout would hit shops and restaurants during "
    "one of the busiest weeks of the spring, and called on both sides to return to the table before "
    "the first day of action.",
    "The Department for Transport said it was a matter for the companies and the union, but added that "
    "ministers expected the industry to keep disruption for passengers to a minimum.",
]
FLOOD = [
    "Severe flood warnings have been issued for parts of Cumbria and the Scottish Borders after a day "
    "of heavy rain pushed rivers close to the levels reached during the floods of two winters ago.",
    "The Environment Agency said homes near the River Eden in Carlisle and Appleby were at risk overnight "
    "and that residents should move valuables upstairs and be ready to leave their homes at short notice.",
    "Mountain rescue teams helped police evacuate a caravan park near Keswick on Saturday afternoon, and "
    "a rest centre was opened at a secondary school for families who could not stay with relatives.",
    "Forecasters expect a further 80mm of rain on high ground by Sunday morning, with winds gusting up "
    "to 70mph along exposed coasts, before drier and colder weather arrives early next week.",
    "Several roads, including stretches of the A66 and the A591, were closed because of standing water, "
    "and the West Coast Main Line was shut between Preston and Carlisle after a landslip near Oxenholme.",
    "Local councillors said flood defences built after the last floods had held so far, but warned that "
    "the ground was saturated and that smaller streams could rise very quickly if the rain did not ease.",
]
HOSPITAL = [
    "Waiting times in hospital emergency departments in Wales have reached their worst level since "
    "records began, with almost one in three patients spending more than four hours in casualty.",
    "Figures published on Thursday show that 9,200 people waited more than twelve hours in November, "
    "many of them elderly patients who could not be discharged because no care home place was available.",
    "Health boards said staff sickness and a rise in flu admissions had put wards under severe pressure, "
    "and several postponed planned operations so that beds could be used for emergency admissions.",
    "Doctors' leaders said the numbers hid real harm to patients and called for an urgent plan to recruit "
    "more nurses and to fund social care, which they said was the main cause of the delays.",
    "The health minister told the Senedd that extra money had been found for the winter and that new "
    "urgent care centres would open in Cardiff, Swansea and Wrexham before the end of January.",
    "Opposition members said the same promises had been made last year and accused the government of "
    "failing to prepare for a winter that everyone in the health service had known was coming.",
]
# Three later paragraphs of the strike story: new leads and new reporting of the write-thrus.
STRIKE_UPDATES = [
    "Northern said on Wednesday it would run only a quarter of its usual services during next month's "
    "strike and that no trains at all would call at more than 200 of its stations on the three days.",
    "The RMT announced on Thursday a further two days of strikes in April, saying the companies had "
    "refused to reopen talks and had instead written to every guard asking them to accept the new rosters.",
    "Passenger groups said the walkouts would leave commuters in towns such as Barrow and Whitby with "
    "no way of getting to work, and asked the operators to lay on replacement buses for the worst hit lines.",
]
STATEMENT = ('"We have listened carefully to the concerns raised by residents, and we accept that the '
             'consultation on the new incinerator did not give people enough time to respond, so we will '
             'pause the planning process and hold a series of public meetings across the district before '
             'any decision is taken,"')
TABLE = "\n".join(f"{i}. {team} P24 W{w} D{d} L{lost} Pts{pts}" for i, (team, w, d, lost, pts) in enumerate([
    ("Chelsea", 18, 4, 2, 58), ("Arsenal", 16, 5, 3, 53), ("Man Utd", 15, 6, 3, 51), ("Everton", 13, 5, 6, 44),
    ("Liverpool", 12, 6, 6, 42), ("Bolton", 11, 6, 7, 39), ("Charlton", 10, 7, 7, 37), ("Fulham", 9, 6, 9, 33),
    ("Norwich", 6, 8, 10, 26), ("Southampton", 4, 9, 11, 21)], 1))
MATCH_A = [
    "Chelsea moved five points clear at the top of the table with a hard-fought win at Goodison Park, "
    "where a second-half header from their captain settled a game of few chances on a freezing afternoon.",
    "Everton had the better of the opening half hour and their keeper was rarely troubled, but the "
    "visitors grew into the game after the break and deserved the lead when it finally came from a corner.",
    "The home manager said his side had matched the leaders for long spells and could take heart from the "
    "performance, although he admitted that his forwards had not done enough with the ball in the final third.",
]
MATCH_B = [
    "Norwich remain in the bottom three after a goalless draw at Carrow Road against Fulham, a result "
    "that did little for either side and was greeted with boos from sections of the home crowd at the end.",
    "The best chance fell to the Norwich striker midway through the second half, when he shot straight "
    "at the keeper from six yards after a clever pass had split the visiting defence down the middle.",
    "Fulham's manager said a point away from home was not a bad return and that his players had shown "
    "the spirit they would need for a long run of difficult fixtures before the end of the season.",
]
# A wire's standard background sentence, 35 words: enough shared text to be checked, not a passage.
WIRE_LINE = ("The county council, which is run by a coalition of independents and Liberal Democrats, has faced "
             "repeated criticism over how it consults residents on large planning applications in rural areas.")
PLANT = [
    "Residents of Hartley Green have lodged more than 3,000 objections to plans for a waste incinerator on "
    "the edge of the village, saying the council gave them too little time to study the documents.",
    "Campaigners said the plant would bring hundreds of lorries a day along narrow lanes past two primary "
    "schools, and that the site lies within a mile of a nature reserve used by rare wading birds.",
    "The operator says the plant would burn household waste that is now sent to landfill and would "
    "generate enough electricity to power 40,000 homes, while creating about 50 permanent jobs.",
]
PLANT_B = [
    "A council has halted its plans for a waste plant in Hartley Green after the scale of local "
    "opposition became clear at a packed and at times angry meeting in the village hall on Friday night.",
    "More than 400 people crowded into the hall, with many more listening outside, to hear officials "
    "explain how the consultation had been run and why the documents were published only online.",
    "Council leader Anne Marsh said she had been struck by the strength of feeling, and the authority "
    "issued a statement soon after the meeting closed.",
]
CHROME_HEAD = ["Home | News | Sport | Weather | Video | Subscribe",
               "Share this article on Facebook, Twitter and by email"]
CHROME_TAIL = ["Disclaimer: The views expressed in this article do not necessarily reflect those of this site.",
               "Comments (2)", "jsmith wrote: the unions are holding the whole region to ransom again.",
               "reader42 wrote: good on them, the bosses have been taking staff for granted for years."]


def page(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


def scan(records: list[dict[str, str]]) -> syndup.ScanResult:
    return syndup.scan(records)


def relation(result: syndup.ScanResult, a: str, b: str) -> str:
    """The pairs table's relation of a and b ("none" when they are not a pair)."""
    pairs = result.pairs
    hit = pairs[((pairs["doc_a"] == a) & (pairs["doc_b"] == b)) | ((pairs["doc_a"] == b) & (pairs["doc_b"] == a))]
    return "none" if hit.empty else str(hit.iloc[0]["relation"])


def docs(result: syndup.ScanResult) -> pd.DataFrame:
    return result.documents.set_index("doc_id")


def origin(result: syndup.ScanResult, doc_id: str) -> tuple[str, str]:
    """(origin_id, origin_rule) of the cluster holding doc_id."""
    clusters = result.clusters.set_index("cluster_id")
    row = clusters.loc[docs(result).loc[doc_id, "cluster_id"]]
    return str(row["origin_id"]), str(row["origin_rule"])


def assert_copy_of(result: syndup.ScanResult, copy: str, of: str, rule: str = "copies_add") -> None:
    """`copy` is a copy of `of`, in its cluster and story, and `of` is that cluster's origin by `rule`."""
    assert relation(result, copy, of) == "copy"
    d = docs(result)
    assert d.loc[copy, "cluster_id"] == d.loc[of, "cluster_id"]
    assert d.loc[copy, "story_id"] == d.loc[of, "story_id"]
    assert origin(result, copy) == (of, rule)


def test_a_chain_of_versions_is_one_story_whose_clusters_start_at_the_earliest_version():
    v1 = page(*STRIKE)
    v2 = page(STRIKE_UPDATES[0], *STRIKE[:6])  # a new lead, the last paragraph dropped
    v3 = page(STRIKE_UPDATES[1], STRIKE_UPDATES[0], *STRIKE[:2], STRIKE_UPDATES[2])
    result = scan([{"id": "c-v3", "text": v3}, {"id": "b-v2", "text": v2}, {"id": "a-v1", "text": v1}])
    assert relation(result, "a-v1", "b-v2") == "copy"
    assert relation(result, "b-v2", "c-v3") == "copy"
    assert relation(result, "a-v1", "c-v3") == "partial"  # the first and last share two paragraphs
    d = docs(result)
    assert d.loc["a-v1", "cluster_id"] != d.loc["c-v3", "cluster_id"]  # no chaining
    assert d["story_id"].nunique() == 1  # one story, followed through its versions
    clustered = [sorted(m) for m in d.groupby("cluster_id").groups.values() if len(m) > 1]
    assert clustered  # ids sort by version: each cluster's origin is its earliest version
    for members in clustered:
        assert origin(result, members[0]) == (members[0], "update")


def test_a_page_carrying_two_stories_sits_with_the_one_it_holds_most_of():
    records = [{"id": "p-page", "title": "Rail workers to strike over pay | Flood warnings in Cumbria",
                "text": page(*STRIKE[:6], "More news: Flood warnings in Cumbria", *FLOOD[:4])},
               {"id": "s-strike", "title": "Rail workers to strike over pay", "text": page(*STRIKE)},
               {"id": "s-flood", "title": "Flood warnings in Cumbria", "text": page(*FLOOD)}]
    result = scan(records)
    assert relation(result, "p-page", "s-strike") == "copy"
    assert relation(result, "p-page", "s-flood") == "copy"
    assert relation(result, "s-strike", "s-flood") == "none"
    d = docs(result)
    assert d.loc["p-page", "cluster_id"] == d.loc["s-strike", "cluster_id"] != d.loc["s-flood", "cluster_id"]
    assert d["story_id"].nunique() == 1  # the page links the two stories
    assert origin(result, "s-strike") == ("s-strike", "copies_add")  # its headline grew from the story's


def test_a_copy_in_site_chrome_with_comments_is_not_the_origin():
    result = scan([{"id": "a-copy", "text": page(*CHROME_HEAD, *STRIKE, *CHROME_TAIL), "site": "gr.example"},
                   {"id": "b-origin", "text": page(*STRIKE), "site": "wire.example"}])
    assert_copy_of(result, "a-copy", "b-origin")


def test_a_restyled_copy_is_not_the_origin():
    text = page(*HOSPITAL[:3], f"{STATEMENT} the health minister said.", *HOSPITAL[3:])
    curly = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", text)
    wrapped = page(*(re.sub(r"(.{60,70}?) ", r"\1\n", p) for p in curly.split("\n\n")))
    typos = wrapped.replace("emergency", "emergancy", 1).replace("patients", "patinets", 1)
    title = "Hospital waiting times in Wales worst on record"
    result = scan([{"id": "a-restyled", "text": typos, "title": f"Shock figures: {title}"},
                   {"id": "b-origin", "text": text, "title": title}])
    assert_copy_of(result, "a-restyled", "b-origin")


def test_an_html_page_with_a_year_in_its_body_gets_no_date_and_is_not_the_origin():
    body = [*FLOOD[:3], "In 2005, the same rivers burst their banks and more than 1,800 homes were flooded.",
            *FLOOD[3:]]
    html = ("<html><head><title>Flood warnings in Cumbria</title></head><body><nav><a href='/'>Home</a></nav>"
            "<article>" + "".join(f"<p>{p}</p>" for p in body)
            + "<p>Click here to watch our video of the rescue at the caravan park.</p></article></body></html>")
    result = scan([{"id": "a-page", "text": html}, {"id": "b-origin", "text": page(*body)}])
    assert docs(result)["published"].isna().all()  # a year in the body is not a publication date
    assert_copy_of(result, "a-page", "b-origin")


def test_a_shared_quotation_is_not_reuse():
    # a and b also share one sentence of background, so the pair is checked: the quotation decides
    a = page(*PLANT[:2], f"{STATEMENT} a council spokesman said.", PLANT[2], WIRE_LINE)
    b = page(WIRE_LINE, *PLANT_B, f"{STATEMENT} the statement said.")
    c = page(*HOSPITAL[:2], f"Elsewhere, a council facing protests over an incinerator said: {STATEMENT[:-2]}\".")
    repost = page(*CHROME_HEAD, a, *CHROME_TAIL)
    result = scan([{"id": "a", "text": a}, {"id": "b", "text": b}, {"id": "c", "text": c},
                   {"id": "a-repost", "text": repost}])
    assert relation(result, "a", "b") == relation(result, "a", "c") == relation(result, "b", "c") == "none"
    assert relation(result, "a", "a-repost") == "copy"
    d = docs(result)
    assert len({d.loc[x, "cluster_id"] for x in "abc"}) == 3
    assert len({d.loc[x, "story_id"] for x in "abc"}) == 3  # quoting one statement is not one story
    assert origin(result, "a-repost") == ("a", "copies_add")


def test_a_shared_table_is_not_reuse():
    a, b = page(MATCH_A[0], TABLE, *MATCH_A[1:]), page(*MATCH_B[:2], TABLE, MATCH_B[2])
    result = scan([{"id": "a", "text": a}, {"id": "b", "text": b}, {"id": "b-repost", "text": page(b, *CHROME_TAIL)}])
    assert relation(result, "a", "b") == relation(result, "a", "b-repost") == "none"
    assert relation(result, "b", "b-repost") == "copy"
    d = docs(result)
    assert d.loc["a", "cluster_id"] != d.loc["b", "cluster_id"] == d.loc["b-repost", "cluster_id"]
    assert d.loc["a", "story_id"] != d.loc["b", "story_id"]
    assert origin(result, "b-repost") == ("b", "copies_add")


def test_one_shared_sentence_is_not_reuse():
    a = page(*PLANT[:2], WIRE_LINE, PLANT[2])
    b = page(*HOSPITAL[:3], WIRE_LINE, *HOSPITAL[3:])
    result = scan([{"id": "a", "text": a}, {"id": "b", "text": b}])
    assert relation(result, "a", "b") == "none"
    assert syndup.relate(a, b) is None  # checked, not only left out by the candidate search
    d = docs(result)
    assert d.loc["a", "cluster_id"] != d.loc["b", "cluster_id"]
    assert d.loc["a", "story_id"] != d.loc["b", "story_id"]
    assert origin(result, "a") == ("a", "unique")


# A photo gallery's and a video player's chrome around a wire story, as a news site's page holds it.
CAPTION = ("In this file photo, rail workers stand on a picket line outside Leeds station during an earlier "
           "strike over pay. The RMT union says guards, drivers and station staff will walk out for three days "
           "next month. (Photo by Jane Doe/AP, File)")
VIDEO = ("Hospital Waiting Times Reach Record Levels " + " ".join(HOSPITAL[:3]))
GALLERY = ["window._taboola = window._taboola || []; _taboola.push({mode: 'thumbnails-c', "
           "container: 'taboola-interstitial-gallery-thumbnails-3', target_type: 'mix'}); _taboola.push({flush: true});",
           "Photo: Jane Doe, Jane Doe/AP", "Image 1 of 3", "Close", f"{CAPTION} less",
           " ".join(CAPTION.split()[:24]) + " ... more", "Photo: Jane Doe/AP", "1 / 3", "Back to Gallery"]
PLAYER = ["Recommended Video:", "Now Playing:", VIDEO, "Media: Wibbitz"]


def test_a_copy_inside_a_photo_gallery_is_a_copy_of_the_story_and_not_the_origin():
    # The gallery page carries the first three paragraphs of the story inside more words of chrome
    # (captions, credits, counters, a script, a video's description): the chrome is not text, so
    # the page is a copy of the story, and neither the caption nor the video makes it reuse another.
    gallery = page("Rail workers to strike over pay", *GALLERY, *STRIKE[:2], *PLAYER, STRIKE[2])
    result = scan([{"id": "a-gallery", "text": gallery, "site": "gallery.example"},
                   {"id": "b-origin", "text": page(*STRIKE), "site": "wire.example"},
                   {"id": "c-hospital", "text": page(*HOSPITAL), "site": "health.example"}])
    assert relation(result, "a-gallery", "b-origin") == "copy"
    assert relation(result, "a-gallery", "c-hospital") == "none"  # the video's description is chrome
    d = docs(result)
    assert d.loc["a-gallery", "cluster_id"] == d.loc["b-origin", "cluster_id"] != d.loc["c-hospital", "cluster_id"]
    assert origin(result, "a-gallery")[0] == "b-origin"
    assert syndup.relate(gallery, page(*STRIKE)).relation == "copy"
    assert syndup.relate(gallery, page(*HOSPITAL)) is None
    # the diff calls the chrome what the scan leaves out: boilerplate, not text the copy added
    added = {seg.new.strip(): seg.kind for seg in syndup.diff(page(*STRIKE), gallery).segments if seg.op == "added"}
    assert {added[p] for p in [*GALLERY[:4], *GALLERY[6:], *PLAYER]} == {"boilerplate"}


# One long sentence (46 words) that wire copy repeats, and two sentences that follow each other (46 words).
LONG_LINE = ("The council, which has been run since the last election by a coalition of independents and Liberal "
             "Democrats after the Conservatives lost their majority, has faced repeated criticism from parish "
             "councils and campaign groups over how it consults residents on large planning applications in rural areas.")
TWO_LINES = ("The incinerator would be the third built in the county in ten years, and the largest of them by far. "
             "Two earlier plants, one near Kendal and one on the coast at Workington, were approved only after "
             "public inquiries that took more than two years each.")


def long_line_pages() -> dict[str, str]:
    """Pages sharing `LONG_LINE` inside paragraphs of their own sentences, or as a paragraph of its
    own, and pages sharing `TWO_LINES` inside their own paragraphs."""
    return {
        "a-inside": page(*PLANT[:2], f"Officials said the meeting would go ahead. {LONG_LINE} Turnout is expected "
                                     "to be high.", PLANT[2]),
        "b-inside": page(*HOSPITAL[:3], f"{LONG_LINE} The authority declined to comment on Friday.", *HOSPITAL[3:]),
        "c-alone": page(*FLOOD[:3], LONG_LINE, *FLOOD[3:]),
        "d-two": page(MATCH_A[0], f"{MATCH_A[1]} {TWO_LINES}", MATCH_A[2]),
        "e-two": page(MATCH_B[0], f"{TWO_LINES} {MATCH_B[1]}", MATCH_B[2]),
    }


def test_one_long_sentence_is_a_passage_only_as_a_paragraph_of_its_own():
    pages = long_line_pages()
    result = scan([{"id": k, "text": v} for k, v in pages.items()])
    want = {("a-inside", "b-inside"): "none",  # one sentence inside different paragraphs of both
            ("a-inside", "c-alone"): "partial", ("b-inside", "c-alone"): "partial",  # a paragraph in one of them
            ("d-two", "e-two"): "partial"}  # two sentences in a row
    for (x, y), rel in want.items():
        assert relation(result, x, y) == rel, (x, y)
        got = syndup.relate(pages[x], pages[y])
        assert (got.relation if got else "none") == rel, (x, y)
    with syndup.Index.open(":memory:") as idx:  # the index applies the same rule
        for k in ("a-inside", "c-alone", "d-two"):
            idx.add(k, pages[k])
        assert {m.doc_id: m.relation for m in idx.check(pages["b-inside"])} == {"c-alone": "partial"}
        assert {m.doc_id: m.relation for m in idx.check(pages["e-two"])} == {"d-two": "partial"}
    d = docs(result)
    assert d["cluster_id"].nunique() == len(pages)  # partial reuse never joins a cluster
