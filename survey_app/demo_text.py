"""Phrase banks for the demo organisation: how Northwind's people actually write.

The demo exists so that an analyst sees, on the first run, the problems the
analysis is built for: goals remembered in people's own words (paraphrased,
abbreviated, misspelt, half-remembered, last quarter's), and comments that mix
topics, tones and typos. So the answers are composed here from variants
rather than picked from a short list: a short list would make exact matching
look better than it is and let the theme clustering find the templates
instead of the topics.

Everything here is data plus two small text helpers (:func:`add_typo`,
:func:`restyle`); the choice of *which* variant a person writes is made in
:mod:`survey_app.demo`, from that person's latent alignment.
"""

from __future__ import annotations

import random

ORGANISATION = "Northwind Logistics"
EMAIL_DOMAIN = "northwind.example"

# --- The strategy statements ------------------------------------------------
# Goals change each quarter; factors and the brand promise are stable, which is
# what makes "last quarter's goals" the common misconception it is in real life.

Q2_GOALS = (
    "Open the Leeds cross-dock hub",
    "Reduce damaged parcels below 0.5%",
    "Roll out the new driver app to all depots",
)
Q3_GOALS = (
    "Bring on-time delivery to 95%",
    "Win 40 new business accounts",
    "Move all customer support onto one ticketing system",
)
Q4_GOALS = (
    "Cut average delivery time to 48 hours",
    "Grow recurring revenue from business customers by 15%",
    "Launch self-service tracking in the customer portal",
)
FACTORS = ("Customer obsession", "Operational reliability", "Speak up early")
BRAND_PROMISE = "Delivered on time, every time, with a human on the line"

# How each statement comes back in people's own words. Keys are the exact
# statements above; "paraphrase" keeps the meaning in other words,
# "abbreviated" is the shorthand of someone who knows it well.
GOAL_VARIANTS: dict[str, dict[str, tuple[str, ...]]] = {
    # Q4
    Q4_GOALS[0]: {
        "paraphrase": (
            "get deliveries down to two days",
            "deliver everything within 48 hours on average",
            "reduce delivery times to 48 hrs",
            "average delivery time under two days",
            "faster deliveries, 2 day average",
            "speed up delivery so the average is 48 hours",
            "Cut delivery time to 2 days",
        ),
        "abbreviated": ("48h delivery", "48hr avg delivery", "delivery time -> 48h", "2-day delivery"),
    },
    Q4_GOALS[1]: {
        "paraphrase": (
            "grow B2B recurring revenue by 15%",
            "15% more recurring revenue from business clients",
            "increase revenue from our business customers by 15 percent",
            "more repeat business from B2B customers, +15%",
            "grow contract revenue with business accounts 15%",
            "Recurring revenue from business customers up 15%",
        ),
        "abbreviated": ("B2B rev +15%", "B2B recurring +15%", "15% B2B growth", "+15% business revenue"),
    },
    Q4_GOALS[2]: {
        "paraphrase": (
            "let customers track their parcels themselves in the portal",
            "self service tracking on the customer portal",
            "new tracking feature in the customer portal",
            "launch portal tracking so customers don't have to call us",
            "customer portal - self-service tracking",
            "Launch self-service parcel tracking online",
        ),
        "abbreviated": ("portal tracking", "self-serve tracking", "tracking in portal", "SST in the portal"),
    },
    # Q3 (correct in Q3, a misconception in Q4)
    Q3_GOALS[0]: {
        "paraphrase": (
            "95% of deliveries on time",
            "hit 95 percent on-time deliveries",
            "improve on time delivery to 95%",
            "on-time delivery at 95%",
        ),
        "abbreviated": ("95% OTD", "OTD 95%", "on time 95%"),
    },
    Q3_GOALS[1]: {
        "paraphrase": (
            "sign 40 new B2B accounts",
            "win forty new business customers",
            "40 new business clients",
            "bring in 40 new accounts",
        ),
        "abbreviated": ("40 new accounts", "+40 B2B accounts", "40 new biz accts"),
    },
    Q3_GOALS[2]: {
        "paraphrase": (
            "one ticketing system for all of customer support",
            "move support onto a single ticket tool",
            "consolidate support tickets in one system",
            "get everyone in support on the same ticketing system",
        ),
        "abbreviated": ("one ticketing system", "single ticket tool", "new ticketing system"),
    },
    # Q2 (a misconception in Q3, and for a few long-timers in Q4)
    Q2_GOALS[0]: {
        "paraphrase": ("open the Leeds hub", "get the Leeds cross dock running", "new hub in Leeds"),
        "abbreviated": ("Leeds hub", "Leeds x-dock"),
    },
    Q2_GOALS[1]: {
        "paraphrase": ("fewer damaged parcels, below 0.5%", "cut damages under half a percent", "reduce parcel damage"),
        "abbreviated": ("damages <0.5%", "damage rate 0.5%"),
    },
    Q2_GOALS[2]: {
        "paraphrase": ("driver app in every depot", "roll out the driver app", "new app for drivers"),
        "abbreviated": ("driver app rollout", "driver app"),
    },
}

FACTOR_VARIANTS: dict[str, dict[str, tuple[str, ...]]] = {
    FACTORS[0]: {
        "paraphrase": (
            "obsess about the customer",
            "be obsessed with our customers",
            "customer obsessed",
            "put the customer at the centre of everything",
            "Obsession with customers",
        ),
        "abbreviated": ("cust. obsession", "customer obs.", "CX obsession"),
    },
    FACTORS[1]: {
        "paraphrase": (
            "reliable operations",
            "be operationally reliable",
            "reliability in operations",
            "running operations reliably",
            "Operations you can rely on",
        ),
        "abbreviated": ("ops reliability", "op. reliability", "reliability"),
    },
    FACTORS[2]: {
        "paraphrase": (
            "speak up early when something is wrong",
            "raise problems early",
            "speak up early, don't wait",
            "flag issues early",
            "Speaking up early",
        ),
        "abbreviated": ("speak up", "speak early", "speak up!"),
    },
}
# The values poster in the canteen, often taken for the factors for excellence.
OLD_VALUES = ("Safety first", "Own it", "One team")

BRAND_VARIANTS = {
    "paraphrase": (
        "on time every time, and a real person answers the phone",
        "we deliver on time, every time, and you can always talk to a human",
        "On time, every time - with real people on the phone",
        "deliveries on time and a human to talk to",
        "always on time and always a person on the line",
        "Delivered on time every time with a human on the phone",
    ),
    "partial": (
        "on time, every time",
        "Delivered on time",
        "always a human on the line",
        "on-time delivery",
        "a human on the line",
        "on time every time?",
    ),
}
# Northwind's previous tagline, still on half the vans.
OLD_TAGLINES = ("Moving what matters", "We move what matters", "moving what matters to you")

VAGUE_GOALS = (
    "grow the business",
    "make more money",
    "keep customers happy",
    "be the best logistics company",
    "growth and efficiency",
    "cost cutting?",
    "improve quality",
    "hit our numbers",
    "something about customers and growth",
    "digital transformation I think",
    "profit",
    "more sales, less cost",
    "be faster",
)
VAGUE_FACTORS = (
    "teamwork",
    "integrity",
    "quality",
    "respect, teamwork, excellence",
    "be excellent",
    "hard work",
    "communication",
    "customer service",
    "doing a good job",
)
VAGUE_BRAND = (
    "great service",
    "customers come first",
    "reliable delivery",
    "quality service at a fair price",
    "we care",
    "fast and reliable",
    "something about being on time",
)
NO_IDEA = (
    "no idea",
    "not sure",
    "don't know",
    "idk",
    "?",
    "no clue honestly",
    "haven't been told",
    "can't remember",
    "Not sure, sorry",
    "dont know",
)

# --- Comments -----------------------------------------------------------------
# Slots: {place}, {system}, {dept}, {leader}, {goal}, {weeks}, {figure}.
# Topics are named after whoever owns them in the routing: "ceo" strategy and
# priorities, "clo" training and communication, "cmo" customers and brand;
# "work" is workload, tools and pay, which no executive owns.

COMMENT_SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "ceo": {
        "neg": (
            "Priorities change every few weeks and nobody explains why.",
            "We hear about the goals at the all-hands and then never again.",
            "It's hard to see how what we do in {dept} connects to the quarterly goals.",
            "The goals feel like they were written for head office, not for us in {dept}.",
            "Too many top priorities. When everything is a priority nothing is.",
            "Leadership says delivery speed matters but then cuts the overtime budget.",
            "I still don't know whether we hit last quarter's targets.",
            "Every manager seems to have a different idea of what the strategy is.",
            "The strategy deck was full of buzzwords, I couldn't tell you what it means for my job.",
            "{goal} sounds great but nobody has said how we're supposed to get there.",
            "Decisions get made at the top and we find out when they're already done.",
            "We were told the plan changed again {weeks} weeks into the quarter.",
        ),
        "neu": (
            "A one-page summary of the goals pinned up in {place} would help.",
            "It would be useful if each team got its own version of the targets.",
            "Please show progress on the three goals every month, not just at the end of the quarter.",
            "Explain the why behind the goals, not just the numbers.",
            "Maybe a short video from the CEO on what {goal} means for {dept}.",
            "Put the quarterly goals on the screens in {place}.",
            "A monthly update on where we are against each goal would make it real.",
            "Show us which goal our team's work feeds into.",
        ),
        "pos": (
            "The goals are much clearer this quarter than last.",
            "Good to finally have three goals instead of ten.",
            "I like that {leader} explained the reasoning behind the delivery target.",
            "The strategy session in {place} was genuinely useful.",
            "For once I can see how my work fits into the plan.",
            "Clear direction this quarter, keep it up.",
        ),
    },
    "clo": {
        "neg": (
            "Onboarding was basically shadowing someone for two days.",
            "The training on {system} was rushed and half of it didn't apply to my job.",
            "Important updates get buried in email, I hear things from customers first.",
            "My manager hasn't held a team meeting in over a month.",
            "Too many channels: email, Teams, the intranet, the noticeboard. I can't keep up.",
            "The e-learning modules are box-ticking, nobody remembers them a week later.",
            "Night shift never gets the updates the day shift gets.",
            "We got {system} with no training at all.",
            "Nobody told us about the new process until it was already live.",
            "The newsletter is too long, I stopped reading it.",
            "I asked for training on {system} {weeks} weeks ago and heard nothing.",
        ),
        "neu": (
            "A short weekly update from our manager would do more than the newsletter.",
            "Could we get training on {system} before it goes live, not after?",
            "Maybe record the town halls for people on shifts.",
            "One place for all the updates would help.",
            "More hands-on training and fewer slides please.",
            "A buddy for new starters in {dept} would help a lot.",
            "Team huddles once a week would keep everyone on the same page.",
            "Could managers get a short brief to pass on to their teams?",
        ),
        "pos": (
            "The coaching sessions with my team lead have been really useful.",
            "The new starter buddy scheme works well.",
            "Our manager's Monday huddles keep us in the loop.",
            "The training on {system} was excellent, more like that please.",
            "Communication has got a lot better since the summer.",
            "I like the short weekly update from {leader}.",
        ),
    },
    "cmo": {
        "neg": (
            "We never see customer feedback unless it's a complaint that went to the top.",
            "Customers keep calling to ask where their parcel is because tracking is unreliable.",
            "I don't know our NPS, nobody has ever told us what it is.",
            "The brand promise says a human on the line but the phone queue is 20 minutes.",
            "Complaints about late deliveries have gone up and we don't hear what's being done.",
            "Marketing promises things to customers that operations can't deliver.",
            "The website still says next-day delivery, customers get angry when it isn't.",
            "We lose business customers and nobody asks why.",
            "Customers complain about the same things every week and nothing changes.",
            "Late deliveries make it hard to explain things to customers.",
            "I have no idea what customers think of us.",
        ),
        "neu": (
            "Share a few real customer comments each week so we know what they think.",
            "It would help to see the NPS and CSAT on the screens in {place}.",
            "Would be good to hear from Customer Service what the top complaints are.",
            "Tell us what the brand promise means for {dept} in practice.",
            "Let us listen in on a few customer calls now and then.",
            "A monthly customer scorecard would help.",
            "Show us the {figure} trend, not just one number.",
        ),
        "pos": (
            "Hearing customer stories at the town hall made the promise feel real.",
            "Customers have noticed the faster deliveries, we get thank-you notes now.",
            "Love the customer quotes in the weekly update.",
            "The new complaint dashboard is great, we can finally see what's going on.",
            "Customers like talking to a real person, the promise is working.",
        ),
    },
    "work": {
        "neg": (
            "Workload is too high since two people left and weren't replaced.",
            "The scanners in {place} keep dropping connection.",
            "Pay hasn't kept up with inflation.",
            "We are short-staffed at weekends.",
            "My laptop is five years old and takes ages to start.",
            "Far too much overtime in peak season.",
            "{system} crashes several times a day.",
            "Nobody has had a pay review in two years.",
            "We are expected to do more with fewer people every quarter.",
            "The heating in {place} has been broken for {weeks} weeks.",
        ),
        "neu": (
            "Parking at the depot is a daily problem.",
            "More flexibility on shift swaps would help.",
            "We need a proper break room, {place} is always packed.",
            "Hybrid working rules are unclear.",
            "Please fix the wifi in {place}.",
            "A clearer career path for {dept} would be good.",
        ),
        "pos": (
            "Great team, people help each other out.",
            "I enjoy working here, my team is brilliant.",
            "Good place to work overall.",
            "Thanks for the new equipment in {place}.",
            "Best team I've worked in.",
        ),
    },
}

OPENERS = {
    "neg": ("", "", "", "Honestly, ", "Tbh ", "To be blunt, ", "Not sure this is the place but ", "Same as last time: "),
    "neu": ("", "", "", "Suggestion: ", "Idea - ", "Just a thought: ", "One thing: "),
    "pos": ("", "", "", "On the positive side, ", "Credit where due: ", "Honestly, "),
}
ELABORATIONS = {
    "neg": (
        "",
        "",
        "This has been going on since the summer.",
        "Others in my team feel the same.",
        "It's really demotivating.",
        "We raised it before and nothing happened.",
        "It's getting worse, not better.",
    ),
    "neu": (
        "",
        "",
        "It would make a real difference.",
        "Other teams might find it useful too.",
        "Nothing fancy needed.",
        "Small thing, but it matters.",
    ),
    "pos": (
        "",
        "",
        "Keep it up.",
        "More of this please.",
        "It shows.",
        "Thank you for that.",
    ),
}
CLOSERS = ("", "", "", "", "Thanks.", "Thanks for asking!", "Cheers", "Thx")
#: How a second thought is joined on; the second sentence follows in lower case
#: after all but ". " (a run-on " and " is how people type).
CONNECTORS = (". Also, ", ". And ", ". On another note, ", ". Also ", ". ", ". Plus ", " and ", "! Also ")

FILLERS = ("n/a", "N/A", "no comment", "-", "nothing", "none", "no", ".", "Nothing to add", "nope")

# Details that name a person or a contact: the comment scrubber must remove
# these before any leader sees a comment. Fictional throughout (the phone
# number is in Ofcom's range reserved for drama).
PII_SENTENCES = {
    "email": (
        "If you want details ask jane.doe@{domain}, she keeps the list of complaints.",
        "Email me at r.patel@{domain} if you want examples.",
    ),
    "phone": (
        "Happy to talk about it, call me on +44 20 7946 0958.",
        "My number is 07700 900123 if anyone wants to follow up.",
    ),
    "handle": (
        "@mike_ops on Teams knows all about this.",
        "Speak to @sarah.k in dispatch, she raised it months ago.",
    ),
}

# Per-department colour for the slots above.
PLACES = {
    "Operations": ("the warehouse", "the depot", "the canteen", "the yard", "the loading bay"),
    "Customer Service": ("the contact centre", "the team room", "the open-plan area", "the Leeds office"),
    "Sales": ("the sales floor", "the Manchester office", "the open-plan area", "the kitchen"),
    "Engineering": ("the dev area", "the Leeds office", "the open-plan area", "the kitchen"),
    "Marketing": ("the studio", "the Leeds office", "the kitchen"),
    "Finance": ("the finance room", "the Leeds office", "the kitchen"),
}
SYSTEMS = {
    "Operations": ("the new scanners", "the route planner", "the driver app", "the warehouse system"),
    "Customer Service": ("the ticketing system", "the new CRM", "the phone system"),
    "Sales": ("the CRM", "the pricing tool", "the quoting system"),
    "Engineering": ("the deploy pipeline", "the customer portal", "the new tracking service"),
    "Marketing": ("the CMS", "the email tool", "the brand toolkit"),
    "Finance": ("the new ERP", "the expense tool", "the reporting pack"),
}
LEADERS = ("our director", "my manager", "the COO", "our head of department", "the CEO", "my team lead")
GOAL_NICKNAMES = {
    "2026-Q3": ("the 95% on-time target", "winning 40 new accounts", "the one-ticketing-system project"),
    "2026-Q4": ("the 48-hour target", "the 15% B2B growth goal", "self-service tracking"),
}


# --- Text helpers ---------------------------------------------------------------


def add_typo(text: str, rng: random.Random) -> str:
    """One plausible slip of the keyboard in one longer word of ``text``.

    Dropped, swapped or doubled letters are what fuzzy matching has to
    forgive ("self servce tracking"), so only those are made.
    """
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.45:
        word = word[:j] + word[j + 1 :]
    elif kind < 0.75:
        word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    else:
        word = word[:j] + word[j] + word[j:]
    words[i] = word
    return " ".join(words)


def restyle(text: str, rng: random.Random, *, typo_rate: float = 0.2) -> str:
    """How quickly typed survey text looks: lower case, no full stop, a typo."""
    if rng.random() < typo_rate:
        text = add_typo(text, rng)
    roll = rng.random()
    if roll < 0.18:
        text = text.lower()
    elif roll < 0.23:
        text = text.replace(" and ", " & ")
    if text.endswith(".") and rng.random() < 0.25:
        text = text[:-1]
    return text
