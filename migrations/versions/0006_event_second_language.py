"""event.language and event.second_texts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00

An organizer writes the event's description, follow-up introduction and custom questions in
one language (``language``) and may give them again in the other one (``second_texts``), so
a French reader no longer gets "Bonjour …, Thanks for coming!".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False,
                                      server_default='en'))
        batch_op.add_column(sa.Column('second_texts', sa.JSON(), nullable=False,
                                      server_default='{}'))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('second_texts')
        batch_op.drop_column('language')
