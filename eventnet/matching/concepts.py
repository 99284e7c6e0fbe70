"""Curated vocabulary: near-synonyms in English and French that mean the same need or offer.

Data, not code: each concept lists phrases as people type them; text.py normalises them the same
way as user input (accents, case, plurals, stop words), so write them naturally.
"""

from __future__ import annotations

CONCEPTS: dict[str, tuple[str, ...]] = {
    "funding": (
        "fundraising", "fund raising", "raising money", "raise money", "raise funds",
        "funding", "investment", "investing", "investor", "business angel", "venture capital",
        "vc", "seed round", "levée de fonds", "lever des fonds", "financement", "investisseur",
        "capital risque", "seed", "pre-seed", "amorçage",
    ),
    "hiring": (
        "hiring", "recruiting", "recruitment", "recruiter", "talent acquisition", "job",
        "job offer", "open position", "recrutement", "recruter", "embauche", "embaucher",
        "offre d'emploi", "emploi", "poste",
    ),
    "machine_learning": (
        "ml", "machine learning", "deep learning", "neural network", "apprentissage automatique",
        "apprentissage profond", "réseau de neurones",
    ),
    "ai": ("ai", "artificial intelligence", "intelligence artificielle", "ia", "llm", "genai"),
    "data_science": (
        "data science", "data scientist", "data analysis", "analytics", "statistics",
        "science des données", "analyse de données", "statistique",
    ),
    "mentoring": (
        "mentoring", "mentorship", "mentor", "coaching", "coach", "career advice", "guidance",
        "mentorat", "conseil de carrière", "accompagnement",
    ),
    "python": ("python", "django", "flask"),
    "javascript": ("javascript", "js", "typescript", "react", "node"),
    "security": (
        "security", "cybersecurity", "infosec", "sécurité", "cybersécurité",
        "sécurité informatique",
    ),
    "design": ("design", "ux", "ui", "user experience", "expérience utilisateur", "designer"),
    "marketing": ("marketing", "growth", "communication", "brand", "marque"),
    "sales": (
        "sales", "selling", "business development", "biz dev", "vente", "commercial",
        "développement commercial", "customer", "client", "prospect",
    ),
    "partnership": ("partnership", "partner", "partenariat", "partenaire", "collaboration"),
    "legal": ("legal", "lawyer", "law", "juridique", "droit", "avocat", "contract", "contrat"),
    "accounting": ("accounting", "accountant", "comptabilité", "comptable", "finance"),
    "cofounder": (
        "co-founder", "cofounder", "co-fondateur", "cofondateur", "associé", "associée",
    ),
    "startup": (
        "startup", "start-up", "founder", "entrepreneurship", "entrepreneur", "jeune pousse",
        "entrepreneuriat", "fondateur",
    ),
    "product": ("product management", "product manager", "pm", "chef de produit"),
    "open_source": ("open source", "logiciel libre", "free software"),
    "cloud": ("cloud", "devops", "kubernetes", "aws", "infrastructure", "sre"),
    "research": ("research", "researcher", "phd", "recherche", "chercheur", "doctorat", "thèse"),
    "students": (
        "student", "intern", "internship", "students to supervise", "étudiant", "stagiaire",
        "stage", "alternant",
    ),
    "speaking": (
        "talk", "speaker", "speaking", "conference talk", "keynote", "intervenant",
        "conférencier", "présentation",
    ),
    "feedback": ("feedback", "fresh eyes", "review", "retour", "avis", "relecture"),
    "health": (
        "health", "healthcare", "medical", "hospital", "santé", "médical", "hôpital", "hôpitaux",
    ),
    "education": ("education", "teaching", "edtech", "enseignement", "éducation", "formation"),
    "climate": ("climate", "sustainability", "green", "climat", "durabilité", "écologie"),
}

# Concepts that say what kind of help a phrase asks for or offers rather than what it is about.
# Two phrases of different kinds never match, and a shared kind alone does not link two
# different topics: "Code review" (feedback on code) is not "Design feedback".
KINDS: frozenset[str] = frozenset({
    "cofounder", "feedback", "funding", "hiring", "mentoring", "partnership", "sales",
    "speaking", "students",
})
