"""The demo: an organizer, a community and a lively event, created idempotently."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from babel.dates import format_date
from sqlalchemy import select

from eventnet.database import write_transaction
from eventnet.extensions import db
from eventnet.models import Attendee, Event, Organizer, utcnow
from eventnet.services import events as event_service
from eventnet.services.attendees import magic_link, new_attendee
from eventnet.services.checkins import check_in
from eventnet.services.organizers import create_organizer, issue_api_token
from eventnet.services.profiles import Profile, validate_profile
from eventnet.services.scans import record_scan

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "eventnet-demo"
DEMO_SLUG = "demo-meetup"

FIRST = ["Camille", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Gabriel", "Inès", "Jules",
         "Zoé", "Arthur", "Élodie", "Mathis", "Sarah", "Noah", "Olivia", "James", "Emily",
         "Priya", "Kenji", "Amara", "Lucas", "Sofía", "Mehdi", "Anaïs", "Thomas", "Grace",
         "Yasmine", "Benoît", "Hannah"]
LAST = ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Roux",
        "Fontaine", "Chevalier", "Smith", "Johnson", "Patel", "Nakamura", "Okafor", "García",
        "Benali", "Nguyen", "O'Brien", "Schmidt"]
#: (industry, companies, titles, interests, offers, asks)
SECTORS = [
    ("software", ["Datalyse", "Qonto", "Doctolib", "Algolia", "Mistral AI"],
     ["Backend engineer", "CTO", "Data scientist", "Développeuse front-end"],
     ["Python", "machine learning", "open source", "DevOps", "IA générative"],
     ["Python mentoring", "code reviews", "intro to machine learning"],
     ["a co-founder", "early customers", "levée de fonds"]),
    ("health", ["Clinique Pasteur", "MedTech Lyon", "Owkin"],
     ["Médecin", "Product manager", "Clinical researcher"],
     ["santé numérique", "health data", "clinical trials", "AI in healthcare"],
     ["access to hospitals", "clinical expertise", "regulatory advice"],
     ["data engineers", "machine learning expertise", "pilot partners"]),
    ("finance", ["BNP Paribas", "Partech", "Kima Ventures", "Crédit Agricole"],
     ["Investor", "Business angel", "CFO", "Analyste"],
     ["venture capital", "fintech", "startups", "impact investing"],
     ["fundraising advice", "investor introductions", "financial modelling"],
     ["deal flow", "startups in health", "climate tech founders"]),
    ("climate", ["Back Market", "Ynsect", "Energy Pool"],
     ["Founder", "Sustainability lead", "Ingénieur énergie"],
     ["climate tech", "énergie", "circular economy", "sustainability"],
     ["carbon accounting", "energy expertise", "sustainability strategy"],
     ["investors", "software developers", "customers in industry"]),
    ("design", ["Studio Nova", "Ubisoft", "Blablacar"],
     ["UX designer", "Design lead", "Illustratrice"],
     ["UX research", "design systems", "accessibility", "jeux vidéo"],
     ["UX reviews", "user research", "design mentoring"],
     ["front-end developers", "freelance missions", "a mentor"]),
    ("education", ["OpenClassrooms", "42 Paris", "Université Paris-Saclay"],
     ["Teacher", "Chercheuse", "Learning designer"],
     ["edtech", "research", "open science", "machine learning"],
     ["teaching workshops", "research collaboration", "student interns"],
     ["industry partners", "funding", "recrutement"]),
]
NOTES = ["Talked about their fundraising round", "Wants a demo next week",
         "Parlé de recrutement, à relancer", "Great chat about open source",
         "Could mentor our junior devs", "Interested in a pilot", "Échange sur la santé numérique",
         ""]


@dataclass
class DemoInfo:
    """What ``eventnet demo`` prints."""

    email: str
    password: str
    slug: str
    links: list[tuple[str, str]]
    created: bool


def _profiles(rng: random.Random, count: int) -> list[Profile]:
    profiles: list[Profile] = []
    used: set[str] = set()
    while len(profiles) < count:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}".lower()
        email = (email.replace("é", "e").replace("è", "e").replace("ï", "i").replace("ë", "e")
                 .replace("í", "i").replace("'", "").replace(" ", ""))
        if email in used:
            continue
        used.add(email)
        _sector, companies, titles, interests, offers, asks = rng.choice(SECTORS)
        other = rng.choice(SECTORS)
        profiles.append(Profile(
            name=f"{first} {last}", email=f"{email}@example.org",
            company=rng.choice(companies), title=rng.choice(titles),
            interests=rng.sample(interests, 2) + rng.sample(other[3], 1),
            offers=rng.sample(offers, 2), asks=rng.sample(asks, 1) + rng.sample(other[5], 1),
            consent_share_contact=rng.random() < 0.8,
            consent_introductions=rng.random() < 0.85, consent_followup=rng.random() < 0.9,
            language="fr" if rng.random() < 0.5 else "en",
        ))
    return profiles


def create_demo(attendee_count: int = 60, seed: int = 2026) -> DemoInfo:
    """Create the demo organizer, community and event unless they exist (idempotent)."""
    rng = random.Random(seed)
    organizer = db.session.scalar(select(Organizer).where(Organizer.email == DEMO_EMAIL))
    if organizer is None:
        organizer = create_organizer(DEMO_EMAIL, DEMO_PASSWORD, "Paris Tech Meetup")
        issue_api_token(organizer.id)
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    created = event is None
    if event is None:
        now = utcnow()
        starts_at = now - timedelta(hours=2)  # under way: the live dashboard has something
        event = event_service.create_event(organizer, DEMO_SLUG, event_service.EventData(
            name=f"Paris Tech Meetup — {format_date(starts_at, 'MMMM yyyy', locale='en')}",
            venue="Station F, Paris",
            description="Monthly meetup of builders, investors and researchers.",
            starts_at=starts_at, ends_at=now + timedelta(hours=2),
            timezone="Europe/Paris",
            interest_tags=["machine learning", "fintech", "santé numérique", "climate tech",
                           "UX research", "open source", "edtech"],
            questions=[{"key": "diet", "label": "Dietary requirements", "kind": "text",
                        "required": False, "choices": []}],
            followup_sender_name="Paris Tech Meetup",
            followup_intro="Thank you for coming! Here are the people worth a follow-up.",
            language="en",
            second_texts={
                "description": "Rencontre mensuelle des acteurs de la tech parisienne : "
                               "fondateurs, investisseurs et chercheurs.",
                "followup_intro": "Merci d’être venus ! Voici les personnes à recontacter.",
                "questions": {"diet": {"label": "Régime alimentaire", "choices": []}},
            },
        ))
        with write_transaction():
            attendees = []
            for profile in _profiles(rng, attendee_count):
                validate_profile(profile, event)
                attendees.append(new_attendee(event, profile, source="demo"))
            ids = [a.id for a in attendees]
        start = event.starts_at
        assert start is not None
        for attendee_id in ids:
            if rng.random() < 0.8:
                check_in(attendee_id, at=start + timedelta(minutes=rng.randint(0, 40)),
                         method="badge")
        for _ in range(attendee_count * 3):
            scanner, scanned = rng.sample(ids, 2)
            when = start + timedelta(minutes=rng.randint(10, 110))
            record_scan(scanner, scanned, note=rng.choice(NOTES),
                        tags=rng.sample(["follow-up", "hiring", "investor", "mentor"],
                                        rng.randint(0, 1)),
                        scanned_at=min(when, utcnow()), source="import")
            if rng.random() < 0.4:  # mutual: the other one scans back
                record_scan(scanned, scanner, scanned_at=min(when, utcnow()), source="import")
    sample = db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.id).limit(3))
    return DemoInfo(DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG,
                    [(a.name, magic_link(a)) for a in sample], created)
