"""organizer_session: one row per organizer sign-in

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:30:00

Organizer sign-ins could not be revoked: the remember cookie was ``id|HMAC(id)``, the same on
every sign-in, and it (and the session cookie) replayed after sign-out. Each sign-in now has a
row here with the SHA-256 of a secret its cookies carry; signing out deletes the row, a
password change every row of the account.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'organizer_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organizer_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organizer_id'], ['organizer.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('organizer_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizer_session_organizer_id'), ['organizer_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('organizer_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizer_session_organizer_id'))
    op.drop_table('organizer_session')
