"""Build ``default_prompts.jsonl``: user requests written for this project.

Run ``python -m tools.make_default_prompts`` to regenerate the file; the
output is deterministic (seeded). Every text here was written for arena-cje:
no third-party data. The set mixes short factual questions, how-to requests,
explanations, coding help, writing and editing tasks, advice, planning,
creative writing and small maths problems, at several lengths and levels of
difficulty, from templates below plus a list of stand-alone requests.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from cje.io.atomic import write_text_atomic
from cje.pipeline.prompts import SHIPPED_PROMPTS, prompt_id_for

SEED = 20240611

STANDALONE = (
    "What is the difference between weather and climate?",
    "Why is the sky blue but sunsets are orange?",
    "hi, can you help me write an email to my landlord about a leaking tap that has not been fixed for three weeks? I want to be polite but firm.",
    "Explain recursion to a ten-year-old.",
    "Is it safe to eat eggs after the best-before date?",
    "I have 45 minutes and chicken thighs, rice, a lemon and some spinach. What can I cook?",
    "What's a good way to remember the order of the planets?",
    "My Python script says 'IndexError: list index out of range'. What does that usually mean and how do I find the bug?",
    "Write a limerick about a cat who learns to use the microwave.",
    "How does compound interest work? Give an example with 1000 dollars at 5% for 10 years.",
    "Summarise the main causes of the First World War in five bullet points.",
    "What are the pros and cons of working from home for a junior software developer?",
    "How many litres of water should I drink per day?",
    "Can you explain what a p-value is without using the word 'probability' more than once?",
    "I keep procrastinating on my thesis. Any practical tricks that actually work?",
    "Translate 'Where is the nearest train station?' into French, Spanish and German.",
    "What is the time complexity of binary search and why?",
    "Give me three ideas for a birthday present for my dad, who likes gardening and jazz.",
    "Why do onions make you cry?",
    "Write a SQL query that returns the five customers with the highest total order value from tables customers(id, name) and orders(id, customer_id, amount).",
    "What should I check before buying a used car?",
    "Explain the difference between 'affect' and 'effect' with examples.",
    "How do vaccines train the immune system?",
    "Plan a relaxed three-day trip to Lisbon for someone who likes food and museums but hates early mornings.",
    "What's the best way to learn touch typing as an adult?",
    "Is a tomato a fruit or a vegetable? Why do people disagree?",
    "Write a short, encouraging message for a friend who just failed their driving test.",
    "How do I centre a div horizontally and vertically with CSS?",
    "What happened to the dinosaurs?",
    "Explain how a bill becomes a law in the United States, briefly.",
    "Rewrite this sentence to sound more professional: 'hey guys, the report is gonna be late cuz the data was messed up'.",
    "What is the Monty Hall problem and why is the answer counter-intuitive?",
    "Suggest a weekly workout plan for a beginner with no gym access.",
    "How can I tell if a news article is reliable?",
    "Write a haiku about the first snow of winter.",
    "What is the difference between RAM and storage?",
    "Why do we have leap years?",
    "My sourdough starter smells like nail polish remover. Is it dead?",
    "Give me a simple explanation of how blockchains reach agreement.",
    "What are some good questions to ask at the end of a job interview?",
    "A train leaves at 14:20 and arrives at 17:05. How long is the journey?",
    "Can you write a bash one-liner that counts the lines in all .py files in a folder, recursively?",
    "What are the main differences between Buddhism and Hinduism?",
    "How should I store fresh herbs so they last longer?",
    "Explain what inflation is and why central banks raise interest rates to fight it.",
    "Draft a two-sentence apology for missing a team meeting.",
    "What is the fastest land animal, and how fast can it run?",
    "Is it better to pay off debt or invest? I have a credit card at 22% interest and some savings.",
    "Describe the water cycle in simple terms.",
    "Write a product description for a reusable water bottle that keeps drinks cold for 24 hours.",
    "What does 'correlation is not causation' mean? Give a real-world example.",
    "How do I politely decline a wedding invitation?",
    "What causes the seasons on Earth?",
    "Write a Python function that checks whether a string is a palindrome, ignoring spaces and case.",
    "Why do cats purr?",
    "What is the difference between a virus and a bacterium?",
    "I'm nervous about giving a five-minute talk at work next week. How should I prepare?",
    "List five common logical fallacies with one-line examples.",
    "How does a refrigerator keep things cold?",
    "Tell me a fun fact about octopuses.",
)

TEMPLATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("How do I {}?", (
        "change a flat tyre on a bicycle", "make a budget spreadsheet", "unclog a bathroom sink without chemicals",
        "get rid of fruit flies in my kitchen", "set up two-factor authentication on my email",
        "start running if I am completely out of shape", "write a good cover letter", "repot a houseplant",
        "back up the photos on my phone", "ask my manager for a raise", "remove a red wine stain from carpet",
        "make cold brew coffee at home", "reset a forgotten Wi-Fi password on my router",
        "improve my credit score", "teach my dog to stop pulling on the lead", "negotiate rent with a landlord",
    )),
    ("Explain {} in simple terms.", (
        "quantum entanglement", "how neural networks learn", "the greenhouse effect", "supply and demand",
        "how GPS works", "photosynthesis", "public-key cryptography", "what a stock index is",
        "how the heart pumps blood", "the theory of evolution", "what DNS does when I open a website",
        "how noise-cancelling headphones work", "what a derivative is in calculus", "plate tectonics",
        "why ice floats", "how a mortgage works",
    )),
    ("What is the difference between {}?", (
        "a list and a tuple in Python", "a crocodile and an alligator", "baking soda and baking powder",
        "a Roth IRA and a traditional IRA", "weather fronts that are warm and cold", "HTTP and HTTPS",
        "a psychologist and a psychiatrist", "an LLC and a sole proprietorship", "latitude and longitude",
        "machine learning and statistics", "empathy and sympathy", "a comet and an asteroid",
        "mean, median and mode", "TCP and UDP", "renting and leasing a car", "espresso and filter coffee",
    )),
    ("Write a short {} about {}.", (
        "poem|a lighthouse keeper's last night on duty", "story|a robot that wants to become a gardener",
        "poem|the smell of rain on hot pavement", "story|two strangers stuck in a lift",
        "song chorus|missing your hometown", "story|a detective who can only solve crimes on Tuesdays",
        "poem|a grandmother's kitchen", "fable|a tortoise who starts a delivery company",
        "story|the last bookshop in a city", "poem|learning to ride a bike",
        "speech|the value of failing early", "story|a dragon afraid of heights",
    )),
    ("Can you help me debug this? {}", (
        "In JavaScript, `[1, 10, 2].sort()` returns [1, 10, 2] sorted as [1, 10, 2] instead of [1, 2, 10]. Why?",
        "My Python loop `for i in range(len(items)): items.remove(items[i])` crashes halfway. What is wrong?",
        "In SQL, `SELECT name, COUNT(*) FROM users;` gives an error about GROUP BY. How do I fix it?",
        "My React component re-renders forever after I call setState inside useEffect with no dependency list.",
        "Git says 'detached HEAD' after I checked out an old commit. Did I lose my work?",
        "In Python, `0.1 + 0.2 == 0.3` is False. Is my computer broken?",
        "My C program prints garbage when I return a pointer to a local array from a function.",
        "Pandas warns 'SettingWithCopyWarning' when I filter a dataframe and then assign a column.",
        "My Docker container exits immediately after `docker run`. How do I see why?",
        "Bash says 'permission denied' when I run ./script.sh even though the file exists.",
    )),
    ("Write a {} function that {}.", (
        "Python|returns the n-th Fibonacci number iteratively", "JavaScript|debounces another function",
        "Python|merges two sorted lists into one sorted list", "Rust|counts the words in a string",
        "Python|flattens a nested list of arbitrary depth", "Go|reverses a slice of integers in place",
        "Python|reads a CSV file and returns the average of one column", "TypeScript|deep-compares two objects",
        "Python|validates an email address with a reasonable regular expression",
        "Java|checks whether a number is prime", "Python|groups a list of words by their first letter",
        "C|computes the length of a string without strlen",
    )),
    ("I'm planning {}. What should I keep in mind?", (
        "a week of hiking in Scotland in October", "my first marathon in six months",
        "to move in with my partner", "a surprise party for thirty people on a small budget",
        "to switch careers from accounting to data analysis", "to adopt a rescue dog while working full time",
        "a road trip across the American Southwest in summer", "to renovate a small bathroom myself",
        "to start a vegetable garden on a balcony", "to learn Japanese before a trip in a year",
        "a wedding speech as the best man", "to launch a small online shop selling handmade candles",
    )),
    ("Give me {} tips for {}.", (
        "five|sleeping better", "three|writing clearer emails", "five|saving money on groceries",
        "four|staying focused while studying", "five|taking better photos with a phone",
        "three|making small talk at networking events", "five|keeping houseplants alive",
        "four|reducing screen time", "five|learning a musical instrument as an adult",
        "three|handling a difficult coworker", "five|cooking for one person without waste",
        "four|preparing for a long-haul flight",
    )),
    ("Why {}?", (
        "do we yawn", "is the ocean salty", "do airplanes leave white trails in the sky",
        "does bread go stale", "do some people like spicy food", "do time zones exist",
        "did the Roman Empire fall", "is it hard to predict earthquakes", "do cats knock things off tables",
        "does the moon look bigger near the horizon", "are bees important for agriculture",
        "do we need sleep",
    )),
    ("Summarise this in two sentences: {}", (
        "The city council met on Monday to discuss the new bike lanes. Supporters said they make cycling safer and "
        "reduce traffic, while shop owners worried about losing parking spaces. After three hours of debate the "
        "council voted to build a six-month trial on two streets and review sales and accident data afterwards.",
        "Our quarterly results show revenue up 12% on last year, driven mainly by the subscription product. Costs "
        "rose faster than expected because of cloud spending and two new hires in support. We plan to renegotiate "
        "the hosting contract and slow hiring until the second half.",
        "The study followed 2,000 adults for ten years and found that those who walked at least 7,000 steps a day had "
        "a lower risk of heart disease. The authors caution that the study was observational, so walking may not be "
        "the cause, and that people who walk more may differ in other ways.",
        "The museum will close for renovation from March to September. During that time, part of the collection "
        "will travel to partner museums, and the education programme will move online. Members will have their "
        "memberships extended by six months at no cost.",
    )),
    ("What are the pros and cons of {}?", (
        "electric cars", "living in a big city", "nuclear power", "learning to code with Python first",
        "open-plan offices", "renting versus buying a home", "homeschooling", "a four-day work week",
        "intermittent fasting", "using a credit card for everyday purchases", "microservices",
        "studying abroad",
    )),
    ("Solve this and show your steps: {}", (
        "A shop sells pens at 3 for 2 dollars. How much do 18 pens cost?",
        "If a car travels 150 km in 1 hour 40 minutes, what is its average speed in km/h?",
        "Find x if 3x + 7 = 25.", "What is 15% of 240?",
        "A rectangle has a perimeter of 36 cm and a length twice its width. What is its area?",
        "I invest 2000 at 4% simple interest per year. How much interest after 3 years?",
        "What is the probability of rolling two sixes with two fair dice?",
        "A recipe for 4 people needs 300 g of flour. How much for 7 people?",
        "Solve the system x + y = 10 and x - y = 4.",
        "How many seconds are there in a week?",
        "The sum of three consecutive integers is 72. What are they?",
        "A phone costs 480 after a 20% discount. What was the original price?",
    )),
    ("Rewrite this to be {}: \"{}\"", (
        "more concise|I am writing to you today in order to let you know that we will unfortunately not be able to "
        "attend the meeting that has been scheduled for next Thursday afternoon.",
        "friendlier|Your request has been denied. Resubmit with the correct documents.",
        "more formal|Can u send me the file asap? thx",
        "clearer|The thing with the system is that when it does the update it sometimes doesn't, and then stuff breaks.",
        "more persuasive|Our product is okay and some people like it.",
        "suitable for a children's book|The volcano erupted, causing widespread devastation to the surrounding area.",
        "less passive-aggressive|As I already mentioned in my previous three emails, the deadline is Friday.",
        "more exciting|The team won the game in the last minute.",
    )),
    ("Recommend {} for someone who {}.", (
        "three books|loved 'The Martian' and wants more science-heavy fiction",
        "a board game|has two kids aged 8 and 11 and one hour on Sunday evenings",
        "a beginner programming project|has just learned loops and functions in Python",
        "some podcasts|wants to understand economics without maths",
        "a few films|enjoys slow, atmospheric mysteries",
        "a hobby|works at a desk all day and wants to use their hands",
        "healthy breakfast ideas|has only ten minutes in the morning",
        "a city to visit in Europe|likes architecture and wants to avoid crowds",
        "houseplants|has a dark flat and forgets to water",
        "a note-taking method|is starting university",
    )),
    ("Act as {}. {}", (
        "a patient maths tutor|I don't understand why dividing by a fraction is the same as multiplying by its inverse.",
        "a travel agent|I have 1500 euros and ten days in late May. Where should I go from Berlin?",
        "a career coach|I've been a teacher for eight years and feel burned out. What could I do next?",
        "a chef|How do I make a risotto creamy without adding cream?",
        "a personal trainer|I can do two push-ups. How do I get to twenty?",
        "a senior software engineer reviewing my code|Is it bad practice to use global variables in a small script?",
        "an interviewer for a marketing role|Ask me three questions, one at a time.",
        "a historian|What was daily life like for a Roman soldier?",
    )),
    ("Is it true that {}?", (
        "we only use 10% of our brains", "goldfish have a three-second memory",
        "lightning never strikes the same place twice", "cracking your knuckles causes arthritis",
        "the Great Wall of China is visible from space", "bats are blind", "sugar makes children hyperactive",
        "you lose most of your body heat through your head", "bulls are angered by the colour red",
        "shaving makes hair grow back thicker",
    )),
    ("Compare {} for {}.", (
        "Python and JavaScript|a first programming language", "trains and planes|travelling from London to Paris",
        "index funds and individual stocks|a new investor", "Kindle and paper books|someone who reads a lot",
        "running and swimming|losing weight", "PostgreSQL and MongoDB|a small web application",
        "laptops and desktops|a university student", "Spotify and buying music|a casual listener",
    )),
    ("What would happen if {}?", (
        "the Moon disappeared overnight", "everyone on Earth jumped at the same time",
        "the internet went down worldwide for a week", "humans could photosynthesise",
        "all the ice on Greenland melted", "a country abolished cash completely",
        "we stopped daylight saving time everywhere", "antibiotics stopped working",
        "I never changed the oil in my car", "I ate only fruit for a month",
    )),
    ("Tell me about {}.", (
        "the history of the printing press", "how the Silk Road shaped trade", "the life of Marie Curie",
        "the Apollo 13 mission", "the origins of jazz", "the building of the Panama Canal",
        "the Black Death in medieval Europe", "how the Olympic Games started", "the invention of the telephone",
        "the Maya calendar", "the history of chocolate", "the Industrial Revolution in Britain",
    )),
    ("My {} is {}. What could be causing it and what should I try?", (
        "laptop|very slow to start up", "phone battery|draining in a few hours",
        "car|making a squealing noise when I brake", "bread|always coming out dense and flat",
        "tomato plant|getting yellow leaves at the bottom", "Wi-Fi|dropping every evening",
        "printer|saying it's offline although it's connected", "dog|scratching a lot but has no fleas",
        "code|passing tests locally but failing in CI", "sleep|getting worse since I started a new job",
    )),
    ("Write a {} for {}.", (
        "polite follow-up email|a job application I sent two weeks ago with no answer",
        "short bio|a freelance graphic designer's website", "thank-you note|a teacher who is retiring",
        "LinkedIn post|announcing that our team shipped a new feature",
        "one-paragraph summary|a presentation on reducing office energy use",
        "complaint letter|a delayed flight that made me miss a connection",
        "birthday message|a colleague I don't know well", "tweet|a local library's book sale",
        "meeting agenda|a 30-minute project kickoff", "toast|my sister's graduation party",
    )),
    ("How would you explain {} to {}?", (
        "what a computer program is|a seven-year-old", "why the stock market goes up and down|a teenager",
        "the internet|someone from the year 1800", "climate change|a sceptical uncle",
        "what a software bug is|a non-technical manager", "gravity|a child who asks why things fall",
        "machine translation|a professional translator", "how vaccines are tested|a worried parent",
    )),
    ("What are good {} for {}?", (
        "stretches|people who sit all day", "first steps|learning to draw", "questions|a first date",
        "habits|managing stress during exams", "snacks|a long hike", "ways|to meet people after moving to a new city",
        "resources|learning statistics from scratch", "strategies|paying off several small debts",
    )),
    ("Can you check my reasoning? {}", (
        "If all squares are rectangles and some rectangles are blue, then some squares are blue.",
        "I flipped a coin five times and got heads every time, so tails is now more likely.",
        "Our sales went up after we changed the logo, so the new logo caused the increase.",
        "A 50% discount followed by another 50% discount means the item is free.",
        "Since most car accidents happen near home, it's safer to drive far from home.",
        "The average salary went up, so every employee must be earning more.",
    )),
    ("Give me a recipe for {}.", (
        "a simple vegetable curry", "pancakes without eggs", "a quick tomato pasta sauce",
        "homemade granola", "a lentil soup that freezes well", "banana bread", "a Greek salad",
        "overnight oats", "a stir-fry with tofu", "guacamole",
    )),
    ("In one paragraph, {}", (
        "argue for and against school uniforms.", "describe what makes a good manager.",
        "explain why sleep matters for memory.", "describe a perfect Sunday morning.",
        "explain why diversified investing reduces risk.", "say whether remote meetings should have cameras on.",
        "describe how you would teach someone to swim.", "explain what an API is.",
    )),
    ("Brainstorm {} ideas for {}.", (
        "ten|a name for a bakery that specialises in sourdough", "five|a team-building activity for remote workers",
        "eight|a science fair project for a 12-year-old", "six|a rainy-day activity with toddlers",
        "five|reducing plastic at home", "ten|a blog about personal finance for students",
        "seven|a themed dinner party", "five|an app that helps people volunteer locally",
    )),
)


def templated_prompts() -> list[str]:
    """Every template filled with each of its fillers ('|' separates two slots)."""
    prompts = []
    for template, fillers in TEMPLATES:
        for filler in fillers:
            prompts.append(template.format(*filler.split("|")))
    return prompts


def default_prompts() -> list[str]:
    """The stand-alone and templated requests, without duplicates, in a seeded shuffle."""
    everything = list(dict.fromkeys([*STANDALONE, *templated_prompts()]))
    order = np.random.default_rng(SEED).permutation(len(everything))
    return [everything[i] for i in order]


def write_default_prompts(path: Path = SHIPPED_PROMPTS) -> int:
    lines = [json.dumps({"prompt_id": prompt_id_for(text, "cje"), "prompt": text}, ensure_ascii=False)
             for text in default_prompts()]
    write_text_atomic(path, "".join(line + "\n" for line in lines))
    return len(lines)


@click.command(help=__doc__)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=SHIPPED_PROMPTS,
              show_default="cje/pipeline/default_prompts.jsonl", help="Where to write the prompts (JSONL).")
def main(output: Path) -> None:
    click.echo(f"wrote {write_default_prompts(output)} prompts to {output}")


if __name__ == "__main__":
    main()
